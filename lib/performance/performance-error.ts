export type PerformanceErrorCode =
  /** The dashboard's role lacks a privilege; the message names it. */
  | 'not-permitted'
  /** The server lacks something (an extension, a version); the message says what to change. */
  | 'not-available'
  /** The request itself is wrong (unknown table, bad parameter count): nothing ran. */
  | 'invalid-input'
  /** Refused on purpose (EXPLAIN ANALYZE of a write, a constraint's index): nothing ran. */
  | 'refused'

/**
 * The one error the performance functions throw for expected conditions; anything else is a
 * server or connection failure. `message` is written for the person on the page.
 */
export class PerformanceError extends Error {
  constructor(
    readonly code: PerformanceErrorCode,
    message: string,
  ) {
    super(message)
    this.name = 'PerformanceError'
  }
}
