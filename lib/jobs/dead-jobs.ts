import { JOB_KINDS } from './all-kinds'
import type { JobKind } from './job-kind'
import { type JobRow, markDeadJobRows, WORKER_GONE } from './job-store'
import type { StateDb } from '../state/state-db'

/**
 * Records the running jobs whose worker is gone as interrupted (see markDeadJobRows), each kind
 * recording it in its own row too. Workers sweep every few seconds; pages and the CLI call it
 * before they read, so that nobody is shown a dead job as running.
 */
export async function markDeadJobs(state: StateDb, kinds: JobKind[] = JOB_KINDS): Promise<JobRow[]> {
  return markDeadJobRows(state, async (job) => {
    const kind = kinds.find((k) => k.kind === job.kind)
    const note = (await kind?.stopped?.(state, job)) ?? WORKER_GONE
    const retries = kind ? kind.retryLimit - (job.attempts - 1) : 0
    return retries > 0 ? `${note} pg-boss runs it again (attempt ${job.attempts + 1}).` : note
  })
}
