import { describeDbError, isDbError } from '../db/db-errors'
import { AppError } from '../errors'
import { redactUrls } from '../redact-urls'

/**
 * What stopped a migration run or check, as an `unavailable` AppError the user can act on: no
 * CREATEDB for the scratch database, pg_dump/psql failing to copy the schema, a database that does
 * not answer (never its connection details). An AppError is returned as it is; anything else, null.
 */
export function whatStopped(what: string, e: unknown): AppError | null {
  if (e instanceof AppError) return e
  const message = redactUrls((e as Error)?.message ?? String(e))
  if (message.startsWith('Could not create a scratch database')) return new AppError('unavailable', message, { cause: e })
  if (/^(pg_dump|psql): /.test(message)) return new AppError('unavailable', `${what} could not copy the target's schema into a scratch database: ${message}`, { cause: e })
  if (isDbError(e)) return new AppError('unavailable', `${what} could not start or finish: ${describeDbError(e)}`, { cause: e })
  return null
}

/**
 * Runs `run`, turning what stops it into whatStopped()'s error (logged with its details, which the
 * user does not see); other errors pass on to the action wrapper's generic message. `after` runs
 * either way (the pages revalidate there).
 */
export async function checked<T>(what: string, run: () => Promise<T>, after?: () => void): Promise<T> {
  try {
    return await run()
  } catch (e) {
    const stopped = whatStopped(what, e)
    if (stopped && stopped !== e) console.error(`[dbadmin] ${what} error:`, e)
    throw stopped ?? e
  } finally {
    after?.()
  }
}
