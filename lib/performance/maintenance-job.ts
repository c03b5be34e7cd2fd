import { z } from 'zod'
import { defineJobKind, type JobOutcome } from '../jobs/job-kind'
import type { JobSystem } from '../jobs/job-system'
import { getJob, type JobRow } from '../jobs/job-store'
import { retried } from '../jobs/retried'
import { CAPABILITY_SPECS } from '../security/least-privilege'
import { cancelStrandedMaintenance, type MaintenanceTask, runMaintenance } from './maintenance'
import { describeTask, MaintenanceTaskInput } from './maintenance-input'
import { readMaintenanceProgress } from './maintenance-progress'
import { createMaintenanceRow, getMaintenanceJob, maintenanceTableOf, updateMaintenanceRow } from './maintenance-store'

export interface MaintenanceJobInput {
  task: MaintenanceTask
  /** "schema.table" it works on, read from the catalog when it was queued: one job at a time per table. */
  table: string
}

/** How often a running statement's progress is copied from pg_stat_progress_* to its job. */
const PROGRESS_EVERY_MS = 2_000

/**
 * Each running statement holds one session of the maintenance login, and cancelling it takes
 * another: the login's connection limit from the least-privilege script (5) leaves room for two at
 * once beside cancels, the pages' reads and a CLI run.
 */
export const MAINTENANCE_CONCURRENCY = Math.max(1, CAPABILITY_SPECS.maintenance.connectionLimit - 3)

/** A database error's first line for the job record, which every role can read. */
function jobError(e: unknown): string {
  const err = e as { message?: string }
  return String(err?.message ?? e).split('\n')[0].replace(/postgres(ql)?:\/\/\S+/g, '[url]').slice(0, 1000)
}

/**
 * VACUUM, ANALYZE, REINDEX CONCURRENTLY and CREATE/DROP INDEX CONCURRENTLY as queued jobs, on the
 * maintenance login: one at a time per table, progress from pg_stat_progress_vacuum/_analyze/
 * _create_index, Cancel = pg_cancel_backend of the statement's backend. Never re-run after a dead
 * worker (a half-built CONCURRENTLY index must be looked at first): reported interrupted.
 */
export const maintenanceJob = defineJobKind<MaintenanceJobInput>({
  kind: 'maintenance.run',
  queue: 'maintenance',
  title: 'Maintenance',
  cancelPermission: 'maintenance.run',
  cancellable: true,
  input: z.object({ task: MaintenanceTaskInput, table: z.string().min(3) }) as unknown as z.ZodType<MaintenanceJobInput>,
  exclusive: (input, target) => `maintenance:${target.key}:${input.table}`,
  subject: (input) => describeTask(input.task),
  retryLimit: 0,
  expireInMinutes: 12 * 60,
  concurrency: MAINTENANCE_CONCURRENCY,
  prepare: (trx, input, job) =>
    createMaintenanceRow(trx, { targetKey: job.target.key, database: job.target.database, task: input.task, tableKey: input.table, startedBy: job.startedBy, jobId: job.id }),
  async run(ctx, input): Promise<JobOutcome> {
    const { state } = ctx.services
    const id = ctx.job.refId!
    const db = ctx.services.maintenanceDb()
    let pid: number | null = null
    // Progress is read as the monitoring login (pg_monitor sees every backend's progress).
    const poll = setInterval(() => {
      if (pid === null) return
      void readMaintenanceProgress(ctx.services.targetDb(), { pid })
        .then(([p]) => ctx.progress(p ? { done: p.done ?? undefined, total: p.total ?? undefined, label: `${p.command}: ${p.phase}` } : {}))
        .catch(() => {})
    }, PROGRESS_EVERY_MS)
    try {
      await updateMaintenanceRow(state, id, 'running', {})
      const r = await runMaintenance(db, input.task, {
        signal: ctx.signal,
        onStarted: (p) => {
          pid = p
          void updateMaintenanceRow(state, id, undefined, { pid: p }).catch(() => {})
          void ctx.progress({ label: describeTask(input.task) }).catch(() => {})
        },
      })
      const status = r.status === 'done' ? 'succeeded' : 'cancelled'
      await retried(() => updateMaintenanceRow(state, id, status, { statement: r.statement, duration_ms: r.durationMs, leftovers: r.leftovers }))
      const left = r.leftovers.length ? ` It left invalid ${r.leftovers.length === 1 ? 'index' : 'indexes'} ${r.leftovers.join(', ')} to drop.` : ''
      const result = { maintenanceId: id, statement: r.statement, durationMs: r.durationMs, leftovers: r.leftovers }
      return status === 'succeeded'
        ? { state: 'succeeded', message: `${r.statement} done in ${r.durationMs} ms.`, result }
        : { state: 'cancelled', message: `${r.statement} cancelled.${left}`, result }
    } catch (e) {
      const error = jobError(e)
      await retried(() => updateMaintenanceRow(state, id, 'failed', { error })).catch(() => {})
      return { state: 'failed', message: `${describeTask(input.task)} failed.`, error, result: { maintenanceId: id } }
    } finally {
      clearInterval(poll)
    }
  },
  async stopped(state, job, services) {
    if (job.refId === null) return null
    const cancelled = job.state === 'cancelled'
    // The statement may still run on the server without its worker: cancel it as the login that
    // runs it (a role may cancel its own sessions), when this process serves the job's target.
    let stranded = ''
    const row = cancelled ? null : await getMaintenanceJob(state, job.refId)
    if (row?.pid && services && services.target.key === job.targetKey) {
      const stopped = await cancelStrandedMaintenance(services.maintenanceDb(), row.task, row.pid).catch(() => false)
      if (stopped) stranded = ` Its statement was still running on the server (pid ${row.pid}) and was cancelled.`
    }
    await updateMaintenanceRow(state, job.refId, cancelled ? 'cancelled' : 'interrupted', {
      error: cancelled ? null : `Its worker stopped before the statement finished; look for an invalid index a CONCURRENTLY build may have left.${stranded}`,
    })
    return stranded ? `Its worker stopped before it finished.${stranded}` : null
  },
  links: (job) => {
    const task = (job.input as unknown as MaintenanceJobInput).task
    const onIndex = task && (task.kind === 'drop-index' || task.kind === 'create-index' || (task.kind === 'reindex' && task.target === 'index'))
    return [{ label: `maintenance #${job.refId ?? '?'}`, href: onIndex ? '/indexes' : '/tables' }]
  },
})

/**
 * Queues a maintenance task on this system's target; the table it works on is looked up first, so
 * that an unknown table or index is refused before anything is queued. Throws JobBusyError while
 * another job works on the same table.
 */
export async function queueMaintenance(system: JobSystem, task: MaintenanceTask, who: { startedBy: string; trigger: JobRow['trigger'] }): Promise<JobRow> {
  const table = await maintenanceTableOf(system.services.targetDb(), task)
  return system.enqueue(maintenanceJob.kind, { task, table }, who)
}

/** Cancels a maintenance job by its own number (as the Tables and Indexes pages show it). */
export async function cancelMaintenanceJob(system: JobSystem, id: number): Promise<{ ok: boolean; message: string }> {
  const row = await getMaintenanceJob(system.services.state, id)
  const job = row?.jobId ? await getJob(system.services.state, row.jobId) : null
  if (!row || !job || job.targetKey !== system.services.target.key) return { ok: false, message: `Maintenance job #${id} is not running on this database.` }
  const r = await system.cancel(job.id)
  return { ok: r.ok, message: r.ok ? `Asked maintenance job #${id} to cancel.` : `Maintenance job #${id} is not running (${row.status}).` }
}
