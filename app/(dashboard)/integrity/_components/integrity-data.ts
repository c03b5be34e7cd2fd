import 'server-only'
import { cache } from 'react'
import { describeUrl } from '@/lib/db/connect'
import { stateDb, targetDb } from '@/lib/db/server-dbs'
import { type TargetIdentity, targetIdentity } from '@/lib/db/target-identity'
import { type IntegrityRun, listIntegrityRuns } from '@/lib/integrity/run-store'
import type { RelationRef } from '@/lib/integrity/types'
import { FIXES_SHOWN, type IntegrityProgress, readIntegrityProgress } from '@/lib/integrity/progress'
import { serverJobs } from '@/lib/jobs/server-jobs'
import { currentDatabase } from '@/lib/migrations/status'
import { serverEnv } from '@/lib/runtime/server-env'

// Loaded once per request and shared by the page's sections, each in its own Suspense boundary.

export const HISTORY_SIZE = FIXES_SHOWN

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
  // Through the job system, whose services hold the target logins: a dead maintenance job's statement is cancelled too.
  await (await serverJobs()).markDead()
})

/** The newest runs on this database, newest first. */
export const loadRuns = cache(async (): Promise<IntegrityRun[]> => {
  await settleDeadJobs()
  return listIntegrityRuns(stateDb(), { targetKey: (await loadTarget()).key, limit: HISTORY_SIZE })
})

export { isRunning as isActive, RUN_STATUS_BADGE } from '@/lib/integrity/run-status'

/** The newest run and fixes (of one relation), as /api/integrity/progress answers them. */
export const loadProgress = cache(async (relation?: RelationRef): Promise<IntegrityProgress> => {
  await settleDeadJobs()
  return readIntegrityProgress(stateDb(), await loadTarget(), { relation, limit: FIXES_SHOWN })
})

export function isFinished(run: IntegrityRun): boolean {
  return run.status === 'succeeded' || run.status === 'cancelled' || run.status === 'failed'
}
