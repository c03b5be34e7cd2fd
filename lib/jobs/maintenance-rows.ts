import { type Kysely, sql } from 'kysely'
import { type JobLiveness, jobAlive, openJobLiveness } from './liveness'

/*
 * The maintenance_job table's own bookkeeping. Maintenance still runs in the requesting process
 * (lib/jobs/maintenance-job.ts), not on the queue: a row, a liveness lock held by that process,
 * and a start lock so two requests cannot both start one. When maintenance moves onto pg-boss
 * (a job kind like the integrity ones), this file goes.
 */

/**
 * Saves a job's progress (heartbeat_at says when it last did); a final status also stamps
 * finished_at. Undefined fields are left as they are. A row already marked finished (e.g.
 * 'interrupted' after its process lost its liveness session) is left alone.
 */
export async function updateMaintenanceRow(state: Kysely<any>, id: number, status: string | undefined, fields: Record<string, unknown>): Promise<void> {
  const set: Record<string, unknown> = { heartbeat_at: sql`now()` }
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) set[k] = v
  if (status) {
    set.status = status
    if (status !== 'queued' && status !== 'running') set.finished_at = sql`now()`
  }
  await state.updateTable('maintenance_job').set(set).where('id', '=', id).where('status', 'in', ['queued', 'running']).execute()
}

export async function maintenanceCancelRequested(state: Kysely<any>, id: number): Promise<boolean> {
  const row = await state.selectFrom('maintenance_job').select('cancel_requested').where('id', '=', id).executeTakeFirst()
  return !!row?.cancel_requested
}

/**
 * Asks a queued or running job to stop at its next safe point; false when it is not running, or
 * its process is gone (nothing would read the request).
 */
export async function cancelMaintenanceRow(state: Kysely<any>, id: number, targetKey: string): Promise<boolean> {
  const r = await state
    .updateTable('maintenance_job')
    .set({ cancel_requested: true })
    .where('id', '=', id)
    // A job of another target sharing this state database is not this dashboard's to stop.
    .where('target_key', '=', targetKey)
    .where('status', 'in', ['queued', 'running'])
    .where(jobAlive('maintenance_job', sql.ref('id')))
    .executeTakeFirst()
  return Number(r.numUpdatedRows) > 0
}

/**
 * Creates a job's row in a transaction holding the advisory lock `key` (so "is one already
 * running? no: insert mine" cannot interleave between two requests), and takes its liveness lock
 * before the row commits, so that no reader ever sees the row without a live holder. The caller
 * runs the job and then releases the liveness.
 */
export async function startMaintenanceRow(state: Kysely<any>, key: string, create: (trx: Kysely<any>) => Promise<number>): Promise<{ id: number; liveness: JobLiveness }> {
  const liveness = await openJobLiveness(state, 'maintenance_job')
  try {
    const id = await state.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(hashtext(${key}))`.execute(trx)
      const id = await create(trx)
      await liveness.hold('maintenance_job', id)
      return id
    })
    return { id, liveness }
  } catch (e) {
    await liveness.release()
    throw e
  }
}
