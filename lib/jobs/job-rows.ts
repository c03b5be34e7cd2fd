import { type Kysely, sql } from 'kysely'
import { jobAlive, type JobTable } from './liveness'

export type { JobTable } from './liveness'

/** Jobs named by an integer id, with a cancel_requested flag (a backup has a uuid, and is cancelled by its process's signal). */
type IdJobTable = Exclude<JobTable, 'backup'>

/**
 * Saves a job's progress (heartbeat_at says when it last did); a final status also stamps
 * finished_at. Undefined fields are left as they are. A row already marked finished (e.g.
 * 'interrupted' after its process lost its liveness session) is left alone.
 */
export async function updateJob(state: Kysely<any>, table: IdJobTable, id: number, status: string | undefined, fields: Record<string, unknown>): Promise<void> {
  const set: Record<string, unknown> = { heartbeat_at: sql`now()` }
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) set[k] = v
  if (status) {
    set.status = status
    if (status !== 'queued' && status !== 'running') set.finished_at = sql`now()`
  }
  await state.updateTable(table).set(set).where('id', '=', id).where('status', 'in', ['queued', 'running']).execute()
}

/**
 * Runs a job's last write (its findings, its final status) again after a passing failure: a
 * state pool busy with page reads must not leave a finished job recorded as running.
 */
export async function retried<T>(write: () => Promise<T>, attempts = 5, firstDelayMs = 250): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await write()
    } catch (e) {
      if (i >= attempts) throw e
      await new Promise((r) => setTimeout(r, firstDelayMs * 2 ** (i - 1)))
    }
  }
}

export async function jobCancelRequested(state: Kysely<any>, table: IdJobTable, id: number): Promise<boolean> {
  const row = await state.selectFrom(table).select('cancel_requested').where('id', '=', id).executeTakeFirst()
  return !!row?.cancel_requested
}

/**
 * Asks a queued or running job to stop at its next safe point; false when it is not running, or
 * its process is gone (nothing would read the request).
 */
export async function requestJobCancel(state: Kysely<any>, table: IdJobTable, id: number, targetKey: string): Promise<boolean> {
  const r = await state
    .updateTable(table)
    .set({ cancel_requested: true })
    .where('id', '=', id)
    // A job of another target sharing this state database is not this dashboard's to stop.
    .where('target_key', '=', targetKey)
    .where('status', 'in', ['queued', 'running'])
    .where(jobAlive(table, sql.ref('id')))
    .executeTakeFirst()
  return Number(r.numUpdatedRows) > 0
}
