import { type Kysely, sql } from 'kysely'
import { type JobLiveness, type JobTable, openJobLiveness } from './liveness'

/**
 * Runs `fn` in a state-database transaction holding an advisory lock named by `key`, so that
 * "is one already running? no: insert mine" cannot interleave between two requests.
 */
export async function underStartLock<T>(state: Kysely<any>, key: string, fn: (trx: Kysely<any>) => Promise<T>): Promise<T> {
  return state.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${key}))`.execute(trx)
    return fn(trx)
  })
}

/**
 * Creates a job's row under the start lock `key` and takes its liveness lock before the row
 * commits, so that no reader ever sees the row without a live holder. The caller runs the job and
 * then releases the liveness.
 */
export async function startLiveJob(
  state: Kysely<any>,
  table: JobTable,
  key: string,
  create: (trx: Kysely<any>) => Promise<number>,
): Promise<{ id: number; liveness: JobLiveness }> {
  const liveness = await openJobLiveness(state, table)
  try {
    const id = await underStartLock(state, key, async (trx) => {
      const id = await create(trx)
      await liveness.hold(table, id)
      return id
    })
    return { id, liveness }
  } catch (e) {
    await liveness.release()
    throw e
  }
}
