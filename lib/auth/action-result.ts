import { AppError } from '../errors'

/** What every server action and mutating route returns to the browser. */
export type ActionCode =
  | 'ok'
  | 'unauthenticated'
  | 'forbidden'
  | 'invalid_input'
  | 'conflict'
  | 'not_found'
  | 'unavailable'
  | 'internal'
  | (string & {})

export type ActionResult<T = unknown> =
  | { ok: true; code: 'ok'; message: string; data?: T }
  | { ok: false; code: ActionCode; message: string; fieldErrors?: Record<string, string> }

/** An AppError made in an action (or a lib function it calls), with the fields it is about. */
export class ActionError extends AppError {
  constructor(code: ActionCode, message: string, fieldErrors?: Record<string, string>) {
    super(code, message, { fieldErrors })
    this.name = 'ActionError'
  }
}
