import { sql } from 'kysely'
import type { StateRow } from '../state/state-db'
import type { JobContext, JobKind, JobOutcome, JobServices } from './job-kind'
import { cancelWanted, finishJob, getJob, jobError, type JobRow, saveProgress, toJobRow } from './job-store'
import { retried } from './retried'
import { openJobLiveness } from './liveness'
import { isDbError } from '../db/db-errors'

/** Why an attempt was asked to stop, other than a user's cancel. */
export type StopReason = 'cancel' | 'shutdown' | 'expired' | 'lost'

export interface AttemptHooks {
  /** True once the process is stopping: running jobs stop at their next safe point. */
  shuttingDown(): boolean
  /** Hears every progress save (tests act at a known point through it). */
  onProgress?(job: JobRow, p: { done?: number; total?: number; label?: string | null }): Promise<void> | void
}

/** What pg-boss records as the job's output. */
export interface AttemptOutput {
  jobId: number
  state: string
  message?: string | null
}

const SIGNAL_POLL_MS = 1000
/** An attempt stops this long before pg-boss's expiry would fail it under its feet. */
const EXPIRY_MARGIN_MS = 10_000

/** Thrown so that pg-boss fails the attempt and retries it (or records it failed when none are left). */
export class AttemptStopped extends Error {}

/**
 * Takes a queued (or, on retry, interrupted) job as running: its liveness lock first, then the row.
 * Null when it must not run: cancelled meanwhile, no retry wanted, or another job took its key.
 */
async function activate(services: JobServices, kind: JobKind, job: JobRow): Promise<JobRow | null | 'busy'> {
  if (job.state === 'interrupted' && (job.cancelRequested || kind.retryLimit === 0)) return null
  if (job.state !== 'queued' && job.state !== 'interrupted') return null
  try {
    const { rows } = await sql<StateRow<'job'>>`
      update job set state = 'running', attempts = attempts + 1, started_at = now(), finished_at = null,
        error = null, message = null
      where id = ${job.id} and state in ('queued', 'interrupted') returning *
    `.execute(services.state)
    return rows[0] ? toJobRow(rows[0]) : null
  } catch (e) {
    // A retry whose exclusive key another job took while it was interrupted.
    if (isDbError(e, '23505')) return 'busy'
    throw e
  }
}

/**
 * One attempt of one job, as a pg-boss worker runs it: the liveness lock is held for as long as
 * the handler runs, the row says running / succeeded / failed / cancelled, and stop requests
 * (cancel, shutdown, expiry, a lost session) reach the handler through its context.
 */
export async function runAttempt(
  services: JobServices,
  kind: JobKind,
  jobId: number,
  expireInSeconds: number,
  hooks: AttemptHooks,
): Promise<AttemptOutput> {
  const state = services.state
  const found = await getJob(state, jobId)
  if (!found) return { jobId, state: 'missing', message: `There is no job #${jobId}.` }
  if (found.targetKey !== services.target.key) throw new Error(`job #${jobId} belongs to another target`)
  const liveness = await openJobLiveness(state, `${kind.kind} #${jobId}`)
  try {
    // A worker of an earlier attempt still runs it (it passed its expiry but has not stopped yet).
    if (!(await liveness.hold('job', jobId))) throw new AttemptStopped(`job #${jobId} is still running in another process`)
    const activated = await activate(services, kind, found)
    if (activated === 'busy') {
      const message = 'Not retried: another job of the same kind started on its target meanwhile.'
      await state.updateTable('job').set({ message }).where('id', '=', jobId).execute()
      return { jobId, state: 'interrupted', message }
    }
    if (!activated) return { jobId, state: found.state, message: 'not run' }
    const job = activated
    if (job.attempts > 1) await kind.retrying?.(state, job)

    let reason: StopReason | null = null
    const controller = new AbortController()
    const stop = (why: StopReason) => {
      reason ??= why
      if (!controller.signal.aborted) controller.abort(why)
    }
    const stopRequested = async () => {
      if (hooks.shuttingDown()) stop('shutdown')
      if (liveness.lost) stop('lost')
      if (!reason && (await cancelWanted(state, jobId))) stop('cancel')
      return reason !== null
    }
    const poll = setInterval(() => void stopRequested().catch(() => {}), SIGNAL_POLL_MS)
    poll.unref()
    const expiry = setTimeout(() => stop('expired'), Math.max(expireInSeconds * 1000 - EXPIRY_MARGIN_MS, 1000))
    expiry.unref()
    const ctx: JobContext = {
      job: { id: jobId, attempt: job.attempts, startedBy: job.startedBy, trigger: job.trigger, refId: job.refId },
      services,
      async progress(p) {
        await saveProgress(state, jobId, p)
        await hooks.onProgress?.(job, p)
      },
      stopRequested,
      signal: controller.signal,
      async setRef(id) {
        ctx.job.refId = id
        await state.updateTable('job').set({ ref_id: id }).where('id', '=', jobId).execute()
      },
    }

    let outcome: JobOutcome
    try {
      outcome = await kind.run(ctx, kind.input.parse(job.input))
    } catch (e) {
      outcome = { state: 'failed', message: `${kind.title} failed.`, error: jobError(e) }
    } finally {
      clearInterval(poll)
      clearTimeout(expiry)
    }

    const why = reason as StopReason | null
    if (why === 'lost') {
      // Others already take it for dead (and may have marked it): nothing more is ours to write.
      throw new AttemptStopped(`job #${jobId} lost its liveness session`)
    }
    if (why === 'shutdown' && outcome.state !== 'succeeded') {
      const interrupted = { ...job, state: 'interrupted' as const }
      const note = (await kind.stopped?.(state, interrupted).catch(() => null)) ?? 'Its worker stopped before it finished: the process was shut down.'
      await retried(() => finishJob(state, jobId, { state: 'interrupted', error: note, message: outcome.message }))
      // pg-boss retries it on the next worker, or records it failed when it has no retry left.
      throw new AttemptStopped(note)
    }
    if (why === 'expired' && outcome.state !== 'succeeded') {
      outcome = { ...outcome, state: 'failed', error: `It ran longer than its expiry (${kind.expireInMinutes} minutes) and was stopped. ${outcome.error ?? ''}`.trim() }
    }
    await retried(() => finishJob(state, jobId, { state: outcome.state, message: outcome.message, error: outcome.error ?? null, result: outcome.result }))
    return { jobId, state: outcome.state, message: outcome.message }
  } finally {
    await liveness.release()
  }
}
