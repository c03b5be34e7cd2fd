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

/** An error whose message is meant for the user. Anything else becomes a generic message. */
export class ActionError extends Error {
  constructor(
    readonly code: ActionCode,
    message: string,
    /** The form fields the error is about, shown next to them. */
    readonly fieldErrors?: Record<string, string>,
  ) {
    super(message)
    this.name = 'ActionError'
  }
}
