import { AppError } from '../errors'

export type PerformanceErrorCode =
  /** The dashboard's role lacks a privilege; the message names it. */
  | 'not_permitted'
  /** The server lacks something (an extension, a version); the message says what to change. */
  | 'unavailable'
  /** The request itself is wrong (unknown table, bad parameter count): nothing ran. */
  | 'invalid_input'
  /** Refused on purpose (EXPLAIN ANALYZE of a write, a constraint's index): nothing ran. */
  | 'refused'

/**
 * The one error the performance functions throw for expected conditions; anything else is a
 * server or connection failure. `message` is written for the person on the page, and the action
 * wrapper shows it with its code.
 */
export class PerformanceError extends AppError {
  declare readonly code: PerformanceErrorCode

  constructor(code: PerformanceErrorCode, message: string) {
    super(code, message)
    this.name = 'PerformanceError'
  }
}
