import { type Kysely, sql } from 'kysely'
import { targetIdentity } from '../db/target-identity'
import { type MaintenanceProgress, readMaintenanceProgress } from '../performance/maintenance-progress'
import { type MaintenanceTask, runMaintenance } from '../performance/maintenance'
import { PerformanceError } from '../performance/performance-error'
import { jobAlive, markDeadStatusRows } from './liveness'
import { cancelMaintenanceRow, maintenanceCancelRequested, startMaintenanceRow, updateMaintenanceRow } from './maintenance-rows'
import { retried } from './retried'
import { AppError } from '../errors'
import { redactUrls } from '../redact-urls'

/**
 * Maintenance (VACUUM, ANALYZE, REINDEX, CREATE/DROP INDEX CONCURRENTLY) as a background job. Kept
 * thin on purpose: the row is the job's record, `executeMaintenanceJob` is the work a queue worker
 * would run with the row's id and task, and only `startMaintenanceJob` decides it runs in this
 * process (until pg-boss takes that over).
 */

export type MaintenanceJobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted'

export interface MaintenanceJob {
  id: number
  kind: MaintenanceTask['kind']
  task: MaintenanceTask
  /** "schema.table" the job works on. */
  tableKey: string
  /** The statement as run (known once it started). */
  statement: string | null
  status: MaintenanceJobStatus
  /** The server process running the statement, while it runs. */
  pid: number | null
  startedBy: string
  startedAt: Date
  finishedAt: Date | null
  cancelRequested: boolean
  durationMs: number | null
  /** Invalid indexes a cancelled CONCURRENTLY build left behind. */
  leftovers: string[]
  error: string | null
  /** Live progress from pg_stat_progress_* while the statement runs (null between phases or for DROP). */
  progress: MaintenanceProgress | null
}

export class MaintenanceBusyError extends AppError {
  constructor(
    readonly jobId: number,
    tableKey: string,
  ) {
    super('conflict', `Maintenance job #${jobId} is already running on ${tableKey}: one at a time per table. Wait for it or cancel it.`)
  }
}

function toJob(r: any): MaintenanceJob {
  return {
    id: Number(r.id),
    kind: r.kind,
    task: r.task,
    tableKey: r.table_key,
    statement: r.statement,
    status: r.status,
    pid: r.pid,
    startedBy: r.started_by,
    startedAt: new Date(r.started_at),
    finishedAt: r.finished_at ? new Date(r.finished_at) : null,
    cancelRequested: r.cancel_requested,
    durationMs: r.duration_ms,
    leftovers: r.leftovers ?? [],
    error: r.error,
    progress: null,
  }
}

/** The table a task works on, from the catalog: an unknown table or index is refused before any row is written. */
async function tableOf(target: Kysely<any>, task: MaintenanceTask): Promise<string> {
  const onIndex = task.kind === 'drop-index' || (task.kind === 'reindex' && task.target === 'index')
  const name = 'table' in task ? task.table : task.name
  const { rows } = onIndex
    ? await sql<{ key: string }>`/* dor-db-admin */
        select tn.nspname || '.' || tc.relname as key
        from pg_class ci join pg_namespace ni on ni.oid = ci.relnamespace
        join pg_index i on i.indexrelid = ci.oid
        join pg_class tc on tc.oid = i.indrelid join pg_namespace tn on tn.oid = tc.relnamespace
        where ni.nspname = ${task.schema} and ci.relname = ${name}`.execute(target)
    : await sql<{ key: string }>`/* dor-db-admin */
        select n.nspname || '.' || c.relname as key
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = ${task.schema} and c.relname = ${name} and c.relkind in ('r', 'm', 'p')`.execute(target)
  if (!rows[0]) throw new PerformanceError('invalid-input', `There is no ${onIndex ? 'index' : 'table'} ${task.schema}.${name}.`)
  return rows[0].key
}

/** A database error's first line for the job record, which every role can read. */
function jobError(e: unknown): string {
  const err = e as { message?: string }
  return redactUrls(String(err?.message ?? e).split('\n')[0]).slice(0, 1000)
}

export interface MaintenanceJobOptions {
  /** How often the job looks for a cancel request (ms). */
  pollMs?: number
  onDone?: (id: number, status: MaintenanceJobStatus) => void | Promise<void>
}

/**
 * Records a maintenance job and starts it without waiting; its id comes back at once. One job at
 * a time per table of this target.
 */
export async function startMaintenanceJob(
  target: Kysely<any>,
  state: Kysely<any>,
  task: MaintenanceTask,
  startedBy: string,
  opts: MaintenanceJobOptions = {},
): Promise<number> {
  const { key: targetKey, database } = await targetIdentity(target)
  const tableKey = await tableOf(target, task)
  const { id, liveness } = await startMaintenanceRow(state, `dbadmin.maintenance_job:${targetKey}`, async (trx) => {
    const active = await trx
      .selectFrom('maintenance_job')
      .select('id')
      .where('target_key', '=', targetKey)
      .where('table_key', '=', tableKey)
      .where('status', 'in', ['queued', 'running'])
      .where(jobAlive('maintenance_job', sql.ref('id')))
      .executeTakeFirst()
    if (active) throw new MaintenanceBusyError(Number(active.id), tableKey)
    const row = await trx
      .insertInto('maintenance_job')
      .values({ target_key: targetKey, target_database: database, kind: task.kind, task: JSON.stringify(task), table_key: tableKey, status: 'queued', started_by: startedBy })
      .returning('id')
      .executeTakeFirstOrThrow()
    return Number(row.id)
  })
  const done = executeMaintenanceJob(target, state, id, task, { pollMs: opts.pollMs, isLost: () => liveness.lost }).finally(() => liveness.release())
  void done.then((status) => opts.onDone?.(id, status)).catch((e: unknown) => console.error(`maintenance job #${id}:`, e))
  return id
}

/**
 * The work of one job: runs the statement, cancels it on request (or when this process lost its
 * liveness session) and records how it ended.
 */
export async function executeMaintenanceJob(
  target: Kysely<any>,
  state: Kysely<any>,
  id: number,
  task: MaintenanceTask,
  opts: { pollMs?: number; isLost?: () => boolean } = {},
): Promise<MaintenanceJobStatus> {
  const abort = new AbortController()
  const poll = setInterval(() => {
    void (async () => {
      if (opts.isLost?.() || (await maintenanceCancelRequested(state, id))) abort.abort()
    })().catch(() => {})
  }, opts.pollMs ?? 1000)
  try {
    await updateMaintenanceRow(state, id, 'running', {})
    const r = await runMaintenance(target, task, {
      signal: abort.signal,
      onStarted: (pid) => void updateMaintenanceRow(state, id, undefined, { pid }).catch(() => {}),
    })
    const status = r.status === 'done' ? 'succeeded' : 'cancelled'
    await retried(() => updateMaintenanceRow(state, id, status, { statement: r.statement, duration_ms: r.durationMs, leftovers: r.leftovers }))
    return status
  } catch (e) {
    await retried(() => updateMaintenanceRow(state, id, 'failed', { error: jobError(e) })).catch(() => {})
    return 'failed'
  } finally {
    clearInterval(poll)
  }
}

export const markDeadMaintenanceJobs = (state: Kysely<any>) => markDeadStatusRows(state, 'maintenance_job')

/**
 * The newest jobs of this target, running ones with their live progress (read from the target's
 * progress views by pid).
 */
export async function listMaintenanceJobs(target: Kysely<any>, state: Kysely<any>, opts: { limit?: number } = {}): Promise<MaintenanceJob[]> {
  const { key } = await targetIdentity(target)
  await markDeadMaintenanceJobs(state)
  const rows = await state
    .selectFrom('maintenance_job')
    .selectAll()
    .where('target_key', '=', key)
    .orderBy('id', 'desc')
    .limit(opts.limit ?? 20)
    .execute()
  const jobs = rows.map(toJob)
  if (jobs.some((j) => j.status === 'running' && j.pid !== null)) {
    const progress = await readMaintenanceProgress(target)
    for (const j of jobs) if (j.status === 'running') j.progress = progress.find((p) => p.pid === j.pid) ?? null
  }
  return jobs
}

export async function getMaintenanceJob(state: Kysely<any>, id: number): Promise<MaintenanceJob | null> {
  const row = await state.selectFrom('maintenance_job').selectAll().where('id', '=', id).executeTakeFirst()
  return row ? toJob(row) : null
}

/** Asks a running job of this target to cancel its statement; false when it is not running. */
export async function requestMaintenanceCancel(target: Kysely<any>, state: Kysely<any>, id: number): Promise<boolean> {
  const { key } = await targetIdentity(target)
  return cancelMaintenanceRow(state, id, key)
}
