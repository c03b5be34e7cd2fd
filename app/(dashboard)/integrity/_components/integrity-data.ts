import 'server-only'
import { cache } from 'react'
import { describeUrl } from '@/lib/db/connect'
import { stateDb, targetDb } from '@/lib/db/server-dbs'
import { type TargetIdentity, targetIdentity } from '@/lib/db/target-identity'
import { type FixJob, listFixJobs } from '@/lib/integrity/fix-store'
import { type IntegrityRun, listIntegrityRuns } from '@/lib/integrity/run-store'
import type { RelationRef } from '@/lib/integrity/types'
import { markDeadJobs } from '@/lib/jobs/dead-jobs'
import { currentDatabase } from '@/lib/migrations/status'
import { serverEnv } from '@/lib/runtime/server-env'

// Loaded once per request and shared by the page's sections, each in its own Suspense boundary.

export const HISTORY_SIZE = 20

/** The target's name as integrity runs record it; from the URL when the target does not answer. */
export const loadTargetDatabase = cache(async (): Promise<string> => {
  try {
    return await currentDatabase(targetDb())
  } catch {
    return describeUrl(serverEnv().targetUrl).database
  }
})

/** The target's identity, which runs, fixes and rules are keyed by (several targets may share the state database). */
export const loadTarget = cache((): Promise<TargetIdentity> => targetIdentity(targetDb()))

/** Jobs whose worker died are recorded as interrupted before the page reads runs and fixes (once per request). */
export const settleDeadJobs = cache(async (): Promise<void> => {
  await markDeadJobs(stateDb())
})

/** The newest runs on this database, newest first. */
export const loadRuns = cache(async (): Promise<IntegrityRun[]> => {
  await settleDeadJobs()
  return listIntegrityRuns(stateDb(), { targetKey: (await loadTarget()).key, limit: HISTORY_SIZE })
})

/** The newest fixes and restores on this database (of one relation when given), newest first. */
export async function loadFixJobs(relation?: RelationRef): Promise<FixJob[]> {
  await settleDeadJobs()
  return listFixJobs(stateDb(), { targetKey: (await loadTarget()).key, relation, limit: HISTORY_SIZE })
}

export function isActive(run: { status: IntegrityRun['status'] | FixJob['status'] }): boolean {
  return run.status === 'queued' || run.status === 'running'
}

export function isFinished(run: IntegrityRun): boolean {
  return run.status === 'succeeded' || run.status === 'cancelled' || run.status === 'failed'
}

/** A run's duration in milliseconds: until now while it runs. */
export function runDurationMs(run: IntegrityRun): number | null {
  if (run.finishedAt) return new Date(run.finishedAt).getTime() - new Date(run.startedAt).getTime()
  return isActive(run) ? Date.now() - new Date(run.startedAt).getTime() : null
}

export const RUN_STATUS_BADGE: Record<IntegrityRun['status'] | FixJob['status'], string> = {
  queued: 'demo',
  running: 'demo',
  succeeded: 'ok',
  failed: 'bad',
  cancelled: 'warn',
  interrupted: 'warn',
}
