import { getJob, type JobRow } from './job-store'
import type { StateDb } from '../state/state-db'

const FINAL = new Set(['succeeded', 'failed', 'cancelled', 'interrupted'])

/**
 * Follows a job's row until it ends (succeeded, failed, cancelled, or interrupted with no retry
 * coming) or `timeoutMs` passes; returns the row as last read. An interrupted job that pg-boss
 * will run again is waited for too. `markDead` is called between reads (lib/jobs/dead-jobs.ts)
 * so that a dead worker's job ends the wait.
 */
export async function waitForJob(
  state: StateDb,
  id: number,
  opts: { timeoutMs: number; everyMs?: number; markDead?: () => Promise<unknown>; retriesLeft?: (job: JobRow) => boolean },
): Promise<JobRow> {
  const deadline = Date.now() + opts.timeoutMs
  for (;;) {
    await opts.markDead?.()
    const job = await getJob(state, id)
    if (!job) throw new Error(`There is no job #${id}.`)
    const final = FINAL.has(job.state) && !(job.state === 'interrupted' && opts.retriesLeft?.(job))
    if (final || Date.now() >= deadline) return job
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 200))
  }
}
