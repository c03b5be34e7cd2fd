import type { Kysely } from 'kysely'
import type { RestrictedReader } from '../db/reader-login'
import { roleOf } from '../db/session-role'
import { targetIdentity } from '../db/target-identity'
import { retried } from '../jobs/job-rows'
import type { JobLiveness } from '../jobs/liveness'
import { startLiveJob } from '../jobs/start-lock'
import type { Finding } from './findings'
import { planChecks, runChecks } from './run-checks'
import {
  activeIntegrityRun,
  cancelRequested,
  createIntegrityRun,
  type IntegrityRun,
  markProgress,
  saveFindings,
} from './run-store'

export class IntegrityRunBusyError extends Error {
  constructor(readonly run: IntegrityRun) {
    super(
      `An integrity run is already in progress (#${run.id}, started by ${run.startedBy} at ${run.startedAt.toISOString().replace('T', ' ').slice(0, 19)} UTC).`,
    )
  }
}

/** How often a run writes its progress and findings (and so beats its heart). */
const FLUSH_MS = 500
const CANCEL_CHECK_MS = 200

/**
 * Runs every check of a queued run. Findings and progress are written at most every FLUSH_MS (a
 * database with thousands of foreign keys has thousands of quick steps: one commit each would
 * cost more than the checks), the cancel flag is read between steps at most every
 * CANCEL_CHECK_MS, and the page follows the run through these rows.
 */
export async function executeIntegrityRun(
  target: Kysely<any>,
  state: Kysely<any>,
  runId: number,
  opts: { reader?: RestrictedReader; ruleTimeoutMs?: number; liveness?: JobLiveness } = {},
): Promise<IntegrityRun['status']> {
  const { liveness, ...ruleOpts } = opts
  const pending: Finding[] = []
  let cancelCheckedAt = 0
  let progress: { done?: number; current?: string | null } = {}
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
      await markProgress(state, runId, progress)
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
    await markProgress(state, runId, { status: 'running', current: 'planning' })
    const steps = await planChecks(target, state, ruleOpts)
    // Planning is over: no step is under way until the first one starts.
    await markProgress(state, runId, { total: steps.length, done: 0, current: null })
    const { cancelled } = await runChecks(steps, {
      beforeStep: async (i, step) => {
        // Quick steps come in thousands: read the flag at most every CANCEL_CHECK_MS, and always
        // before a step that follows a slow one (a cancel asked meanwhile stops the run there).
        // A lost liveness session makes the run look dead to others: stop as if cancelled.
        if (liveness?.lost) return true
        if (Date.now() - cancelCheckedAt >= CANCEL_CHECK_MS) {
          if (await cancelRequested(state, runId)) return true
          cancelCheckedAt = Date.now()
        }
        progress = { done: i, current: step.title }
      },
      afterStep: (i, _step, found) => {
        pending.push(...found)
        progress = { ...progress, done: i + 1 }
      },
    })
    clearInterval(timer)
    await retried(flush)
    const status = cancelled ? 'cancelled' : 'succeeded'
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

/**
 * Queues a run and starts it in this process without waiting: the request that asked for it
 * returns at once with the run id. One run at a time per database.
 */
export async function startIntegrityRun(
  target: Kysely<any>,
  state: Kysely<any>,
  by: {
    startedBy: string
    trigger: IntegrityRun['trigger']
    /** Where admins' own rules run (lib/db/reader-login.ts), and their statement timeout. */
    reader?: RestrictedReader
    ruleTimeoutMs?: number
  },
  onDone?: (runId: number, status: IntegrityRun['status']) => Promise<void> | void,
): Promise<number> {
  const { reader, ruleTimeoutMs, ...who } = by
  const { key: targetKey, database: targetDatabase } = await targetIdentity(target)
  const dbRole = await roleOf(target)
  const { id: runId, liveness } = await startLiveJob(state, 'integrity_run', `dbadmin.integrity_run:${targetKey}`, async (trx) => {
    const active = await activeIntegrityRun(trx, targetKey)
    if (active) throw new IntegrityRunBusyError(active)
    return createIntegrityRun(trx, { targetDatabase, targetKey, dbRole, ...who })
  })
  // A failing onDone must not become an unhandled rejection, which would end the whole server.
  void executeIntegrityRun(target, state, runId, { reader, ruleTimeoutMs, liveness })
    .finally(() => liveness.release())
    .then((status) => onDone?.(runId, status))
    .catch((e: unknown) => console.error(`integrity run #${runId}: onDone failed:`, e))
  return runId
}
