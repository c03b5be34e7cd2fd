import type { TargetIdentity } from '../db/target-identity'
import { restoreRefusal } from './fix-job'
import { type FixJob, listFixJobs } from './fix-store'
import { relationQuery } from './orphan-csv'
import { type IntegrityRun, listIntegrityRuns } from './run-store'
import { runDurationMs } from './run-status'
import type { RelationRef } from './types'
import type { StateDb } from '../state/state-db'

/** A fix or restore as the Integrity pages list it: with what decides its Restore button and its relation's link. */
export interface FixJobView extends FixJob {
  /** Why its saved rows cannot be put back (null: they can). */
  restoreRefusal: string | null
  /** The query string of its relation's page. */
  relationQuery: string
}

/** What the Integrity pages follow while work runs: the newest run and the newest fixes and restores. */
export interface IntegrityProgress {
  latest: IntegrityRun | null
  /** How long the newest run took, or has taken until now while it runs (null: it never started). */
  latestDurationMs: number | null
  fixes: FixJobView[]
}

/** Fixes and restores a page lists (and the run history's length). */
export const FIXES_SHOWN = 20

/**
 * The newest integrity run and the newest `limit` fixes and restores on `target` (of one relation
 * when given). Read-only, as every poll is: the job system's sweep records the jobs of dead workers
 * as interrupted every few seconds, which ends the poll of a run whose process ended.
 */
export async function readIntegrityProgress(
  state: StateDb,
  target: TargetIdentity,
  opts: { relation?: RelationRef; limit: number },
): Promise<IntegrityProgress> {
  const [runs, fixes] = await Promise.all([
    listIntegrityRuns(state, { targetKey: target.key, limit: 1 }),
    listFixJobs(state, { targetKey: target.key, relation: opts.relation, limit: opts.limit }),
  ])
  const latest = runs[0] ?? null
  return {
    latest,
    latestDurationMs: latest ? runDurationMs(latest, Date.now()) : null,
    fixes: fixes.map((f) => ({
      ...f,
      restoreRefusal: f.kind === 'fix' ? restoreRefusal(f, target) : 'a restore',
      relationQuery: relationQuery(f.relation),
    })),
  }
}

