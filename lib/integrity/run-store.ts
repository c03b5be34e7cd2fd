import { sql } from 'kysely'
import type { Finding } from './findings'
import type { StateDb, StateRow } from '../state/state-db'

export type IntegrityRunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled'

export interface IntegrityRun {
  id: number
  targetDatabase: string
  /** The target's identity key (lib/db/target-identity.ts); null for a run recorded before keys. */
  targetKey: string | null
  /** 'interrupted' when its worker ended before it finished (see lib/jobs/dead-jobs.ts). */
  status: IntegrityRunStatus | 'interrupted'
  /** The job that runs it (table job); null for a run recorded before the queue. */
  jobId: number | null
  trigger: 'manual' | 'schedule' | 'cli'
  startedBy: string
  /** The database role the job used; null for jobs recorded before it was. */
  dbRole: string | null
  startedAt: Date
  finishedAt: Date | null
  checksTotal: number
  checksDone: number
  currentCheck: string | null
  cancelRequested: boolean
  error: string | null
  /** Findings with count > 0 (or an error), once finished. */
  problems: number
}

type RunRow = StateRow<'integrity_run'> & { problems: number | null; cancel_requested: boolean | null }

function toRun(r: RunRow): IntegrityRun {
  return {
    id: Number(r.id),
    targetDatabase: r.target_database,
    targetKey: r.target_key,
    status: r.status as IntegrityRun['status'],
    trigger: r.trigger as IntegrityRun['trigger'],
    startedBy: r.started_by,
    dbRole: r.db_role ?? null,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    checksTotal: r.checks_total,
    checksDone: r.checks_done,
    currentCheck: r.current_check,
    jobId: r.job_id === null ? null : Number(r.job_id),
    cancelRequested: !!r.cancel_requested,
    error: r.error,
    problems: Number(r.problems ?? 0),
  }
}

// The cancel flag is the job's (table job): the page shows "Cancelling…" from it.
const runColumns = sql`r.*, (select count(*) from integrity_finding f where f.run_id = r.id and (f.count > 0 or f.error is not null)) as problems,
  (select j.cancel_requested from job j where j.id = r.job_id) as cancel_requested`

export async function createIntegrityRun(
  state: StateDb,
  input: { targetDatabase: string; targetKey: string; trigger: IntegrityRun['trigger']; startedBy: string; jobId: number; dbRole?: string | null },
): Promise<number> {
  const row = await state
    .insertInto('integrity_run')
    .values({
      target_database: input.targetDatabase,
      target_key: input.targetKey,
      status: 'queued',
      trigger: input.trigger,
      started_by: input.startedBy,
      job_id: input.jobId,
      db_role: input.dbRole ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return Number(row.id)
}

/** The queued or running run of this target, if any (callers mark dead jobs first: lib/jobs/dead-jobs.ts). */
export async function activeIntegrityRun(state: StateDb, targetKey: string): Promise<IntegrityRun | null> {
  const { rows } = await sql<RunRow>`
    select ${runColumns} from integrity_run r
    where r.target_key = ${targetKey} and r.status in ('queued', 'running')
    order by r.id desc limit 1
  `.execute(state)
  return rows[0] ? toRun(rows[0]) : null
}

/** Saves a run's progress; a final status also stamps finished_at. A run already finished is left alone. */
export async function markProgress(
  state: StateDb,
  id: number,
  values: {
    status?: IntegrityRunStatus | 'interrupted'
    total?: number
    done?: number
    current?: string | null
    error?: string | null
    /** The database role the worker reads the target as (recorded when it starts). */
    dbRole?: string | null
  },
): Promise<void> {
  const set: Record<string, unknown> = {}
  if (values.dbRole !== undefined) set.db_role = values.dbRole
  if (values.total !== undefined) set.checks_total = values.total
  if (values.done !== undefined) set.checks_done = values.done
  if (values.current !== undefined) set.current_check = values.current
  if (values.error !== undefined) set.error = values.error
  if (values.status) {
    set.status = values.status
    if (values.status !== 'queued' && values.status !== 'running') set.finished_at = sql`now()`
  }
  if (Object.keys(set).length === 0) return
  await state.updateTable('integrity_run').set(set).where('id', '=', id).where('status', 'in', ['queued', 'running']).execute()
}

/** A retried run starts over: what its first attempt found is dropped, and it is running again. */
export async function restartIntegrityRun(state: StateDb, id: number): Promise<void> {
  await state.deleteFrom('integrity_finding').where('run_id', '=', id).execute()
  await state
    .updateTable('integrity_run')
    .set({ status: 'queued', finished_at: null, error: null, checks_done: 0, current_check: null })
    .where('id', '=', id)
    .execute()
}

export async function saveFindings(state: StateDb, runId: number, findings: Finding[]): Promise<void> {
  if (findings.length === 0) return
  await state
    .insertInto('integrity_finding')
    .values(
      findings.map((f) => ({
        run_id: runId,
        check: f.check,
        key: f.key,
        finding: JSON.stringify(f),
        count: f.count,
        error: f.error ?? null,
        duration_ms: Math.round(f.durationMs ?? 0),
      })),
    )
    .execute()
}

export async function listIntegrityRuns(state: StateDb, opts: { targetKey: string; limit?: number }): Promise<IntegrityRun[]> {
  const { rows } = await sql<RunRow>`
    select ${runColumns} from integrity_run r
    where r.target_key = ${opts.targetKey}
    order by r.id desc limit ${Math.min(Math.max(opts.limit ?? 20, 1), 200)}
  `.execute(state)
  return rows.map(toRun)
}

export async function getIntegrityRun(state: StateDb, id: number): Promise<IntegrityRun | null> {
  if (!Number.isSafeInteger(id) || id < 1) return null
  const { rows } = await sql<RunRow>`select ${runColumns} from integrity_run r where r.id = ${id}`.execute(state)
  return rows[0] ? toRun(rows[0]) : null
}

export async function runFindings(state: StateDb, runId: number): Promise<Finding[]> {
  const rows = await state.selectFrom('integrity_finding').select('finding').where('run_id', '=', runId).orderBy('id').execute()
  return rows.map((r) => r.finding as unknown as Finding)
}

export interface TrendPoint {
  runId: number
  at: Date
  count: number | null
}

/** The count of one check over the last finished runs, oldest first, for its trend chart. */
export async function findingTrend(state: StateDb, targetKey: string, key: string, limit = 30): Promise<TrendPoint[]> {
  return (await findingTrends(state, targetKey, [key], limit)).get(key) ?? []
}

/**
 * The trends of many checks in one query (a page with thousands of relations must not send
 * thousands of queries): each key's last `limit` finished runs, oldest first.
 */
export async function findingTrends(state: StateDb, targetKey: string, keys: string[], limit = 30): Promise<Map<string, TrendPoint[]>> {
  const out = new Map<string, TrendPoint[]>(keys.map((k) => [k, []]))
  if (keys.length === 0) return out
  const { rows } = await sql<{ key: string; run_id: string; at: Date; count: string | null }>`
    select t.key, t.run_id, t.at, t.count from unnest(${keys}::text[]) as k(key)
    cross join lateral (
      select f.key, f.run_id, r.started_at as at, f.count from integrity_finding f join integrity_run r on r.id = f.run_id
      where f.key = k.key and r.target_key = ${targetKey} and r.status in ('succeeded', 'cancelled') order by f.run_id desc limit ${limit}
    ) t
    order by t.key, t.run_id
  `.execute(state)
  for (const r of rows) out.get(r.key)?.push({ runId: Number(r.run_id), at: r.at, count: r.count === null ? null : Number(r.count) })
  return out
}

/** Checks whose count went from 0 (or absent) in the previous finished run to above 0 in this one. */
export async function newlyFailing(state: StateDb, runId: number, targetKey: string): Promise<Finding[]> {
  const previous = await state
    .selectFrom('integrity_run')
    .select('id')
    .where('target_key', '=', targetKey)
    .where('status', '=', 'succeeded')
    .where('id', '<', runId)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst()
  const now = await runFindings(state, runId)
  const before = previous ? await runFindings(state, Number(previous.id)) : []
  const hadProblem = new Set(before.filter((f) => (f.count ?? 0) > 0).map((f) => f.key))
  return now.filter((f) => (f.count ?? 0) > 0 && !hadProblem.has(f.key))
}
