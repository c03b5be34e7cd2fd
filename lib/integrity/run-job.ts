import type { Kysely } from 'kysely'
import { underStartLock } from '../jobs/start-lock'
import { currentDatabase } from '../migrations/status'
import { planChecks, runChecks } from './run-checks'
import {
  activeIntegrityRun,
  cancelRequested,
  createIntegrityRun,
  HEARTBEAT_STALE_SECONDS,
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

/**
 * Runs every check of a queued run, saving findings and progress after each check, so that the
 * page can follow it and a cancel takes effect between two checks.
 */
export async function executeIntegrityRun(target: Kysely<any>, state: Kysely<any>, runId: number): Promise<IntegrityRun['status']> {
  // One check may take longer than HEARTBEAT_STALE_SECONDS (its timeout is INTEGRITY_CHECK_TIMEOUT_MS,
  // 5 minutes by default): beat meanwhile, or the live run would show as interrupted and not block another.
  const beat = setInterval(() => void markProgress(state, runId, {}).catch(() => {}), (HEARTBEAT_STALE_SECONDS * 1000) / 4)
  beat.unref()
  try {
    await markProgress(state, runId, { status: 'running', current: 'planning' })
    const steps = await planChecks(target, state)
    await markProgress(state, runId, { total: steps.length, done: 0 })
    const { cancelled } = await runChecks(steps, {
      beforeStep: async (i, step) => {
        if (await cancelRequested(state, runId)) return true
        await markProgress(state, runId, { done: i, current: step.title })
      },
      afterStep: async (i, _step, found) => {
        await saveFindings(state, runId, found)
        await markProgress(state, runId, { done: i + 1 })
      },
    })
    const status = cancelled ? 'cancelled' : 'succeeded'
    await markProgress(state, runId, { status, current: null })
    return status
  } catch (e) {
    await markProgress(state, runId, { status: 'failed', error: (e as Error).message, current: null }).catch(() => {})
    return 'failed'
  } finally {
    clearInterval(beat)
  }
}

/**
 * Queues a run and starts it in this process without waiting: the request that asked for it
 * returns at once with the run id. One run at a time per database.
 */
export async function startIntegrityRun(
  target: Kysely<any>,
  state: Kysely<any>,
  by: { startedBy: string; trigger: IntegrityRun['trigger'] },
  onDone?: (runId: number, status: IntegrityRun['status']) => Promise<void> | void,
): Promise<number> {
  const targetDatabase = await currentDatabase(target)
  const runId = await underStartLock(state, `dbadmin.integrity_run:${targetDatabase}`, async (trx) => {
    const active = await activeIntegrityRun(trx, targetDatabase)
    if (active) throw new IntegrityRunBusyError(active)
    return createIntegrityRun(trx, { targetDatabase, ...by })
  })
  // A failing onDone must not become an unhandled rejection, which would end the whole server.
  void executeIntegrityRun(target, state, runId)
    .then((status) => onDone?.(runId, status))
    .catch((e: unknown) => console.error(`integrity run #${runId}: onDone failed:`, e))
  return runId
}
