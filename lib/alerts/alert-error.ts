export type AlertErrorCode = 'unknown_rule' | 'bad_setting' | 'delivery_failed' | 'not_configured'

/** One error type for lib/alerts, with a code the action wrapper and the CLI turn into messages. */
export class AlertError extends Error {
  constructor(
    readonly code: AlertErrorCode,
    message: string,
  ) {
    super(message)
    this.name = 'AlertError'
  }
}
