import { type Kysely, sql } from 'kysely'
import { type MaintenanceProgress, readMaintenanceProgress } from './maintenance-progress'
import type { MaintenanceTask } from './maintenance'
import { PerformanceError } from './performance-error'
import type { StateDb, StateRow } from '../state/state-db'

/*
 * The maintenance_job table: each maintenance job's own record (the statement as run, the server
 * pid while it runs, leftovers of a cancelled CONCURRENTLY build), beside its row in `job`, which
 * holds cancel and liveness (lib/performance/maintenance-job.ts).
 */

export type MaintenanceJobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted'

export interface MaintenanceJob {
  id: number
  /** Its job on the queue (the Jobs page's number). */
  jobId: number | null
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
  durationMs: number | null
  /** Invalid indexes a cancelled CONCURRENTLY build left behind. */
  leftovers: string[]
  error: string | null
  /** Live progress from pg_stat_progress_* while the statement runs (null between phases or for DROP). */
  progress: MaintenanceProgress | null
}

function toJob(r: StateRow<'maintenance_job'>): MaintenanceJob {
  return {
    id: Number(r.id),
    jobId: r.job_id === null ? null : Number(r.job_id),
    kind: r.kind as MaintenanceJob['kind'],
    task: r.task as unknown as MaintenanceJob['task'],
    tableKey: r.table_key,
    statement: r.statement,
    status: r.status as MaintenanceJob['status'],
    pid: r.pid,
    startedBy: r.started_by,
    startedAt: new Date(r.started_at),
    finishedAt: r.finished_at ? new Date(r.finished_at) : null,
    durationMs: r.duration_ms,
    leftovers: r.leftovers,
    error: r.error,
    progress: null,
  }
}

/** The table a task works on, from the catalog: an unknown table or index is refused before anything is queued. */
export async function maintenanceTableOf(target: Kysely<any>, task: MaintenanceTask): Promise<string> {
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
  if (!rows[0]) throw new PerformanceError('invalid_input', `There is no ${onIndex ? 'index' : 'table'} ${task.schema}.${name}.`)
  return rows[0].key
}

export async function createMaintenanceRow(
  trx: StateDb,
  row: { targetKey: string; database: string; task: MaintenanceTask; tableKey: string; startedBy: string; jobId: number },
): Promise<number> {
  const r = await trx
    .insertInto('maintenance_job')
    .values({
      target_key: row.targetKey,
      target_database: row.database,
      kind: row.task.kind,
      task: JSON.stringify(row.task),
      table_key: row.tableKey,
      status: 'queued',
      started_by: row.startedBy,
      job_id: row.jobId,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return Number(r.id)
}

/**
 * Saves a job's fields; a final status also stamps finished_at. Undefined fields are left as they
 * are. A row already finished (e.g. recorded interrupted) is left alone.
 */
export async function updateMaintenanceRow(state: StateDb, id: number, status: MaintenanceJobStatus | undefined, fields: Record<string, unknown>): Promise<void> {
  const set: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) set[k] = v
  if (status) {
    set.status = status
    if (status !== 'queued' && status !== 'running') set.finished_at = sql`now()`
  }
  if (Object.keys(set).length === 0) return
  await state.updateTable('maintenance_job').set(set).where('id', '=', id).where('status', 'in', ['queued', 'running']).execute()
}

/**
 * The newest jobs of this target, running ones with their live progress (read from the target's
 * progress views by pid).
 */
export async function listMaintenanceJobs(target: Kysely<any>, state: StateDb, targetKey: string, opts: { limit?: number } = {}): Promise<MaintenanceJob[]> {
  const rows = await state.selectFrom('maintenance_job').selectAll().where('target_key', '=', targetKey).orderBy('id', 'desc').limit(opts.limit ?? 20).execute()
  const jobs = rows.map(toJob)
  if (jobs.some((j) => j.status === 'running' && j.pid !== null)) {
    const progress = await readMaintenanceProgress(target)
    for (const j of jobs) if (j.status === 'running') j.progress = progress.find((p) => p.pid === j.pid) ?? null
  }
  return jobs
}

export async function getMaintenanceJob(state: StateDb, id: number): Promise<MaintenanceJob | null> {
  const row = await state.selectFrom('maintenance_job').selectAll().where('id', '=', id).executeTakeFirst()
  return row ? toJob(row) : null
}
