import type { Kysely } from 'kysely'
import { cancelPoolStatements, siblingDb } from '../db/connect'
import type { RestrictedReader } from '../db/reader-login'
import { roleOf } from '../db/session-role'
import type { JobProgress } from '../jobs/job-kind'
import { retried } from '../jobs/retried'
import type { Finding } from './findings'
import { planChecks, runChecks } from './run-checks'
import { type IntegrityRun, markProgress, saveFindings } from './run-store'
import type { StateDb } from '../state/state-db'

/** How often a run writes its progress and findings, and reads its stop request. */
const FLUSH_MS = 500
const STOP_CHECK_MS = 200
/** A step this long waited on something (a lock, a big table): the request is read right after it. */
const SLOW_STEP_MS = 20

export interface RunHooks {
  reader?: RestrictedReader
  ruleTimeoutMs?: number
  /** Read between checks: true stops the run there (cancel, shutdown). */
  stopRequested?: () => Promise<boolean>
  /** The job's own progress, saved with the run's. */
  progress?: (p: JobProgress) => Promise<void>
  /**
   * The job's stop signal: aborting it cancels the check running on the server (one waiting behind
   * a table lock would otherwise wait up to INTEGRITY_CHECK_TIMEOUT_MS), and the run stops there.
   */
  signal?: AbortSignal
}

/**
 * Runs the checks on a pool of their own (same login and settings as `target`), so that a stop
 * cancels exactly this run's statements, from a connection of `target`.
 */
export async function executeIntegrityRun(target: Kysely<any>, state: StateDb, runId: number, hooks: RunHooks = {}): Promise<IntegrityRun['status']> {
  const { signal, ...rest } = hooks
  if (!signal) return executeOn(target, state, runId, rest)
  const own = siblingDb(target, { max: 2 })
  let cancelling: Promise<unknown> = Promise.resolve()
  const cancel = () => void (cancelling = cancelPoolStatements(target, own).catch(() => {}))
  signal.addEventListener('abort', cancel, { once: true })
  try {
    // The error of the check cancelled under the run is the stop, not a finding.
    return await executeOn(own, state, runId, rest, () => signal.aborted)
  } finally {
    signal.removeEventListener('abort', cancel)
    await cancelling
    await own.destroy().catch(() => {})
  }
}

/**
 * Runs every check of a queued run. Findings and progress are written at most every FLUSH_MS (a
 * database with thousands of foreign keys has thousands of quick steps: one commit each would
 * cost more than the checks); the stop request is read between steps at most every STOP_CHECK_MS,
 * and the page follows the run through these rows.
 */
async function executeOn(target: Kysely<any>, state: StateDb, runId: number, hooks: Omit<RunHooks, 'signal'>, stopped = () => false): Promise<IntegrityRun['status']> {
  const { stopRequested, progress: jobProgress, ...ruleOpts } = hooks
  const pending: Finding[] = []
  let stopCheckedAt = 0
  let stepStartedAt = 0
  let progress: { done?: number; total?: number; current?: string | null } = {}
  let written = Promise.resolve()
  // Writes are chained so that they never overlap or reorder.
  let flushing = false
  const flush = () =>
    (written = written.catch(() => {}).then(async () => {
      const found = pending.splice(0)
      try {
        await saveFindings(state, runId, found)
      } catch (e) {
        // Kept for the next flush; the last one fails the run if they still cannot be saved.
        pending.unshift(...found)
        throw e
      }
      const p = progress
      await markProgress(state, runId, p)
      await jobProgress?.({ done: p.done, total: p.total, label: p.current })
    }))
  const tick = () => {
    // A slow state database must not pile up writes: skip a beat while one is under way.
    if (flushing) return
    flushing = true
    void flush()
      .catch((e: unknown) => console.error(`integrity run #${runId}: progress not saved:`, e))
      .finally(() => (flushing = false))
  }
  const timer = setInterval(tick, FLUSH_MS)
  timer.unref()
  try {
    await markProgress(state, runId, { status: 'running', current: 'planning', dbRole: await roleOf(target) })
    await jobProgress?.({ label: 'planning' })
    const steps = await planChecks(target, state, ruleOpts)
    // Planning is over: no step is under way until the first one starts.
    progress = { total: steps.length, done: 0, current: null }
    await markProgress(state, runId, progress)
    await jobProgress?.({ total: steps.length, done: 0, label: null })
    const { cancelled } = await runChecks(steps, {
      beforeStep: async (i, step) => {
        // Quick steps come in thousands: read the request at most every STOP_CHECK_MS, and always
        // before a step that follows a slow one (a cancel asked meanwhile stops the run there).
        if (Date.now() - stopCheckedAt >= STOP_CHECK_MS) {
          if (await stopRequested?.()) return true
          stopCheckedAt = Date.now()
        }
        progress = { ...progress, done: i, current: step.title }
        stepStartedAt = Date.now()
      },
      afterStep: (i, _step, found) => {
        // A cancel asked during a slow step stops the run before the next, however quick the rest.
        if (Date.now() - stepStartedAt >= SLOW_STEP_MS) stopCheckedAt = 0
        if (stopped()) return
        pending.push(...found)
        progress = { ...progress, done: i + 1 }
      },
    })
    clearInterval(timer)
    progress = { ...progress, current: null }
    await retried(flush)
    const status = cancelled || stopped() ? 'cancelled' : 'succeeded'
    await retried(() => markProgress(state, runId, { status, current: null }))
    return status
  } catch (e) {
    clearInterval(timer)
    // What was found before the failure is kept.
    await flush().catch(() => {})
    await retried(() => markProgress(state, runId, { status: 'failed', error: (e as Error).message, current: null })).catch(() => {})
    return 'failed'
  } finally {
    clearInterval(timer)
  }
}
