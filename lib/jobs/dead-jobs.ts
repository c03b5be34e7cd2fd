import { JOB_KINDS } from './all-kinds'
import type { JobKind, JobServices } from './job-kind'
import { type JobRow, markDeadJobRows, WORKER_GONE } from './job-store'
import type { StateDb } from '../state/state-db'

/**
 * Records the running jobs whose worker is gone as interrupted (see markDeadJobRows), each kind
 * recording it in its own row too. The job system sweeps every few seconds (JobSystem.sweep); the
 * CLI and some page renders call it before they read. Polling routes never do: they only read.
 */
export async function markDeadJobs(state: StateDb, kinds: JobKind[] = JOB_KINDS, services?: JobServices): Promise<JobRow[]> {
  return markDeadJobRows(state, async (job) => {
    const kind = kinds.find((k) => k.kind === job.kind)
    const note = (await kind?.stopped?.(state, job, services)) ?? WORKER_GONE
    const retries = kind ? kind.retryLimit - (job.attempts - 1) : 0
    return retries > 0 ? `${note} pg-boss runs it again (attempt ${job.attempts + 1}).` : note
  })
}
