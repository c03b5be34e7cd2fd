import { sql } from 'kysely'
import { jobAlive } from './liveness'
import type { StateDb, StateRow } from '../state/state-db'
import { redactUrls } from '../redact-urls'

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted'
export const JOB_STATES: JobState[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted']
export const ACTIVE_STATES: JobState[] = ['queued', 'running']

/** A job as the Jobs page, the CLI and the kinds' pages see it. */
export interface JobRow {
  id: number
  kind: string
  queue: string
  bossId: string | null
  targetKey: string
  targetDatabase: string
  subject: string
  exclusiveKey: string | null
  state: JobState
  trigger: 'manual' | 'schedule' | 'cli'
  startedBy: string
  input: Record<string, unknown>
  createdAt: Date
  startedAt: Date | null
  finishedAt: Date | null
  attempts: number
  progress: { done: number | null; total: number | null; label: string | null }
  cancelRequested: boolean
  message: string | null
  error: string | null
  result: unknown
  refId: number | null
}

export function toJobRow(r: StateRow<'job'>): JobRow {
  return {
    id: Number(r.id),
    kind: r.kind,
    queue: r.queue,
    bossId: r.boss_id,
    targetKey: r.target_key,
    targetDatabase: r.target_database,
    subject: r.subject,
    exclusiveKey: r.exclusive_key,
    state: r.state as JobState,
    trigger: r.trigger as JobRow['trigger'],
    startedBy: r.started_by,
    input: (r.input ?? {}) as Record<string, unknown>,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    attempts: r.attempts,
    progress: {
      done: r.progress_done === null ? null : Number(r.progress_done),
      total: r.progress_total === null ? null : Number(r.progress_total),
      label: r.progress_label,
    },
    cancelRequested: r.cancel_requested,
    message: r.message,
    error: r.error,
    result: r.result,
    refId: r.ref_id === null ? null : Number(r.ref_id),
  }
}

export const WORKER_GONE = 'Its worker stopped before it finished (the process ended or lost its database session).'

/**
 * Records running jobs whose worker is gone (no session holds their liveness lock) as
 * 'interrupted', in the database, so that every reader agrees and their exclusive keys are free.
 * `onDead` lets each kind record it in its own row and say what was done. Returns the jobs marked.
 */
export async function markDeadJobRows(state: StateDb, onDead?: (job: JobRow) => Promise<string | null>): Promise<JobRow[]> {
  const { rows } = await sql<StateRow<'job'>>`
    update job j set state = 'interrupted', finished_at = now(), error = coalesce(j.error, ${WORKER_GONE})
    where j.state = 'running' and not ${jobAlive('job', sql.ref('j.id'))}
    returning j.*
  `.execute(state)
  const dead = rows.map(toJobRow)
  for (const job of dead) {
    const message = await onDead?.(job).catch((e: unknown) => `${WORKER_GONE} (${(e as Error)?.message ?? e})`)
    if (message) {
      await state.updateTable('job').set({ error: message }).where('id', '=', job.id).execute()
      job.error = message
    }
  }
  return dead
}

export interface JobFilter {
  targetKey: string
  kinds?: string[]
  states?: JobState[]
  /** Only jobs whose ref is this row of their kind's table. */
  refId?: number
  limit?: number
  beforeId?: number
}

/** Newest first; reads only (dead workers' jobs are marked by the job system's sweep, see markDeadJobs). */
export async function listJobs(state: StateDb, filter: JobFilter): Promise<JobRow[]> {
  let q = state
    .selectFrom('job')
    .selectAll()
    .where('target_key', '=', filter.targetKey)
    .orderBy('id', 'desc')
    .limit(Math.min(Math.max(filter.limit ?? 100, 1), 500))
  if (filter.kinds?.length) q = q.where('kind', 'in', filter.kinds)
  if (filter.states?.length) q = q.where('state', 'in', filter.states)
  if (filter.refId !== undefined) q = q.where('ref_id', '=', filter.refId)
  if (filter.beforeId !== undefined) q = q.where('id', '<', filter.beforeId)
  return (await q.execute()).map(toJobRow)
}

export async function getJob(state: StateDb, id: number): Promise<JobRow | null> {
  if (!Number.isSafeInteger(id) || id < 1) return null
  const row = await state.selectFrom('job').selectAll().where('id', '=', id).executeTakeFirst()
  return row ? toJobRow(row) : null
}

/** The queued or running job holding an exclusive key, if any (the one a new job would wait for). */
export async function activeJobByKey(state: StateDb, key: string): Promise<JobRow | null> {
  const row = await state.selectFrom('job').selectAll().where('exclusive_key', '=', key).where('state', 'in', ACTIVE_STATES).executeTakeFirst()
  return row ? toJobRow(row) : null
}

/** The newest job of a kind whose ref is `refId` (the job that ran integrity run #N, say). */
export async function jobOfRef(state: StateDb, kinds: string[], refId: number): Promise<JobRow | null> {
  const row = await state.selectFrom('job').selectAll().where('kind', 'in', kinds).where('ref_id', '=', refId).orderBy('id', 'desc').limit(1).executeTakeFirst()
  return row ? toJobRow(row) : null
}

export async function saveProgress(state: StateDb, id: number, p: { done?: number; total?: number; label?: string | null }): Promise<void> {
  const set: Record<string, unknown> = {}
  if (p.done !== undefined) set.progress_done = p.done
  if (p.total !== undefined) set.progress_total = p.total
  if (p.label !== undefined) set.progress_label = p.label
  if (Object.keys(set).length === 0) return
  await state.updateTable('job').set(set).where('id', '=', id).where('state', '=', 'running').execute()
}

export async function cancelWanted(state: StateDb, id: number): Promise<boolean> {
  const row = await state.selectFrom('job').select('cancel_requested').where('id', '=', id).executeTakeFirst()
  return !!row?.cancel_requested
}

/** A final state; a row already final (marked interrupted after its session was lost) stays as it is. */
export async function finishJob(
  state: StateDb,
  id: number,
  end: { state: Exclude<JobState, 'queued' | 'running'>; message?: string | null; error?: string | null; result?: unknown },
): Promise<boolean> {
  const r = await state
    .updateTable('job')
    .set({
      state: end.state,
      finished_at: sql`now()`,
      message: end.message ?? null,
      error: end.error ?? null,
      result: end.result === undefined ? null : JSON.stringify(end.result),
    })
    .where('id', '=', id)
    .where('state', 'in', ACTIVE_STATES)
    .executeTakeFirst()
  return Number(r.numUpdatedRows) > 0
}

/**
 * A database error's text for the job record, which every role can read: PostgreSQL's message
 * without its detail (the detail may quote a whole row, secrets included), no connection strings.
 */
export function jobError(e: unknown): string {
  const err = e as { message?: string }
  return redactUrls(String(err?.message ?? e)).slice(0, 1000)
}
