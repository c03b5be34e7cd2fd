import { sql } from 'kysely'
import type { FixMode } from './fix-file'
import type { RelationRef } from './types'
import type { StateDb, StateRow } from '../state/state-db'

export type FixJobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled'

/** An orphan fix, or the restore of one, as the page follows it. */
export interface FixJob {
  id: number
  targetDatabase: string
  /** The target's identity key (lib/db/target-identity.ts); null for a job recorded before keys. */
  targetKey: string | null
  kind: 'fix' | 'restore'
  /** For a restore: the fix whose saved rows it puts back. */
  restoresFix: number | null
  relation: RelationRef
  mode: FixMode
  file: string
  /** 'interrupted' when its worker ended before it finished (see lib/jobs/dead-jobs.ts). */
  status: FixJobStatus | 'interrupted'
  /** The job that runs it (table job); null for one recorded before the queue. */
  jobId: number | null
  phase: 'saving' | 'changing' | 'restoring' | null
  total: number
  saved: number
  /** Rows deleted or updated by a fix; rows put back by a restore. */
  changed: number
  startedBy: string
  /** The database role the job used; null for jobs recorded before it was. */
  dbRole: string | null
  startedAt: Date
  finishedAt: Date | null
  cancelRequested: boolean
  error: string | null
  /** For a fix: the newest restore of it that finished, if any. */
  restoredBy: { id: number; status: FixJobStatus | 'interrupted' } | null
}

/** An integrity_fix row as jobColumns reads it: with its newest restore (restore_status is null only without one) and its queue job's cancel flag. */
type FixRow = StateRow<'integrity_fix'> & { restore_id: number | null; restore_status: FixJobStatus | 'interrupted'; cancel_requested: boolean | null }

function toJob(r: FixRow): FixJob {
  return {
    id: Number(r.id),
    targetDatabase: r.target_database,
    targetKey: r.target_key,
    kind: r.kind as FixJob['kind'],
    restoresFix: r.restores_fix === null ? null : Number(r.restores_fix),
    relation: { schema: r.schema, table: r.table, columns: r.columns, refSchema: r.ref_schema, refTable: r.ref_table, refColumns: r.ref_columns },
    mode: r.mode as FixJob['mode'],
    file: r.file,
    status: r.status as FixJob['status'],
    phase: r.phase as FixJob['phase'],
    total: Number(r.total),
    saved: Number(r.saved),
    changed: Number(r.changed),
    startedBy: r.started_by,
    dbRole: r.db_role,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    jobId: r.job_id === null ? null : Number(r.job_id),
    cancelRequested: !!r.cancel_requested,
    error: r.error,
    restoredBy: r.restore_id === null ? null : { id: Number(r.restore_id), status: r.restore_status },
  }
}

// The newest restore of each fix rides along, so that a list shows "restored by #N" without more queries.
// The cancel flag is the job's (table job).
const jobColumns = sql`j.*, r.id as restore_id, r.status as restore_status, (select q.cancel_requested from job q where q.id = j.job_id) as cancel_requested`
const restoreJoin = sql`left join lateral (
  select x.id, x.status from integrity_fix x where x.restores_fix = j.id order by x.id desc limit 1
) r on true`

/** The queued or running fix or restore on a table, if any (callers mark dead jobs first: lib/jobs/dead-jobs.ts). */
export async function activeFixJob(state: StateDb, targetKey: string, table?: { schema: string; table: string }): Promise<FixJob | null> {
  const { rows } = await sql<FixRow>`
    select ${jobColumns} from integrity_fix j ${restoreJoin}
    where j.target_key = ${targetKey} and j.status in ('queued', 'running')
      ${table ? sql`and j.schema = ${table.schema} and j.table = ${table.table}` : sql``}
    order by j.id desc limit 1
  `.execute(state)
  return rows[0] ? toJob(rows[0]) : null
}

export async function createFixJob(
  state: StateDb,
  input: {
    targetDatabase: string
    targetKey: string
    kind: FixJob['kind']
    restoresFix?: number
    relation: RelationRef
    mode: FixMode
    file: string
    total: number
    startedBy: string
    /** The job that runs it; absent only for rows made outside the queue (tests). */
    jobId?: number
    /** The database role the job changes the target as. */
    dbRole?: string | null
  },
): Promise<number> {
  const row = await state
    .insertInto('integrity_fix')
    .values({
      target_database: input.targetDatabase,
      target_key: input.targetKey,
      kind: input.kind,
      restores_fix: input.restoresFix ?? null,
      schema: input.relation.schema,
      table: input.relation.table,
      columns: sql`${input.relation.columns}::text[]`,
      ref_schema: input.relation.refSchema,
      ref_table: input.relation.refTable,
      ref_columns: sql`${input.relation.refColumns}::text[]`,
      mode: input.mode,
      file: input.file,
      status: 'queued',
      total: input.total,
      started_by: input.startedBy,
      job_id: input.jobId ?? null,
      db_role: input.dbRole ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return Number(row.id)
}

/** Saves a fix's progress; a final status also stamps finished_at. One already finished is left alone. */
export async function markFixProgress(
  state: StateDb,
  id: number,
  values: {
    status?: FixJobStatus | 'interrupted'
    phase?: FixJob['phase']
    total?: number
    saved?: number
    changed?: number
    error?: string | null
    /** The database role the worker changes the target as (recorded when it starts). */
    dbRole?: string | null
  },
): Promise<void> {
  const { status, dbRole, ...fields } = values
  const set: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) set[k] = v
  if (dbRole !== undefined) set.db_role = dbRole
  if (status) {
    set.status = status
    if (status !== 'queued' && status !== 'running') set.finished_at = sql`now()`
  }
  if (Object.keys(set).length === 0) return
  await state.updateTable('integrity_fix').set(set).where('id', '=', id).where('status', 'in', ['queued', 'running']).execute()
}

export async function getFixJob(state: StateDb, id: number): Promise<FixJob | null> {
  if (!Number.isSafeInteger(id) || id < 1) return null
  const { rows } = await sql<FixRow>`select ${jobColumns} from integrity_fix j ${restoreJoin} where j.id = ${id}`.execute(state)
  return rows[0] ? toJob(rows[0]) : null
}

/** Newest first; for one database, and optionally one relation (its fixes and their restores). */
export async function listFixJobs(
  state: StateDb,
  opts: { targetKey: string; relation?: RelationRef; limit?: number },
): Promise<FixJob[]> {
  const rel = opts.relation
  const { rows } = await sql<FixRow>`
    select ${jobColumns} from integrity_fix j ${restoreJoin}
    where j.target_key = ${opts.targetKey}
      ${
        rel
          ? sql`and j.schema = ${rel.schema} and j.table = ${rel.table} and j.columns = ${rel.columns}::text[]
                and j.ref_schema = ${rel.refSchema} and j.ref_table = ${rel.refTable} and j.ref_columns = ${rel.refColumns}::text[]`
          : sql``
      }
    order by j.id desc limit ${Math.min(Math.max(opts.limit ?? 20, 1), 200)}
  `.execute(state)
  return rows.map(toJob)
}
