import { AppError } from '../errors'

export type AlertErrorCode =
  /** No alert rule (or channel) of that name. */
  | 'not_found'
  /** A setting the library refuses: a bad threshold, webhook URL or channel name. */
  | 'invalid_input'
  /** The alert is not in a state that allows it (acknowledging one that is not firing). */
  | 'conflict'

/** One error type for lib/alerts; the action wrapper shows its message with its code (and the field it is about). */
export class AlertError extends AppError {
  declare readonly code: AlertErrorCode

  constructor(code: AlertErrorCode, message: string, field?: string) {
    super(code, message, field ? { fieldErrors: { [field]: message } } : {})
    this.name = 'AlertError'
  }
}
