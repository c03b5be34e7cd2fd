import { ActionError } from '@/lib/auth/action-result'
import { describeDbError, isDbError } from '@/lib/db/db-errors'
import { redactUrls } from '@/lib/redact-urls'

/** PostgreSQL's message and detail (e.g. the violating key), never a connection string. */
export function postgresMessage(e: { code: string; message: string; detail?: string }): string {
  if (e.code === '57014') return describeDbError(e)
  const text = e.detail ? `${e.message} (${e.detail})` : e.message
  return redactUrls(text).slice(0, 500)
}

/** Queues a job; a database error on the way (not a refusal, which is an AppError) becomes `unavailable`. */
export async function startJob<T>(start: () => Promise<T>): Promise<T> {
  try {
    return await start()
  } catch (e) {
    if (isDbError(e)) {
      console.error('[dbadmin] job start error:', e)
      throw new ActionError('unavailable', `The job could not start: ${postgresMessage(e)}`)
    }
    throw e
  }
}
