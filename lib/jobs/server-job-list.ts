import 'server-only'
import type { Role } from '../auth/permissions'
import { integrityTargetDb, stateDb } from '../db/server-dbs'
import { targetIdentity } from '../db/target-identity'
import type { JobsFilter } from './job-filter'
import { listJobViews } from './job-list'
import { ACTIVE_STATES, listJobs } from './job-store'
import { type JobView, jobView } from './job-view'

/**
 * This target's jobs, newest first, as the page and its polling route show them to `role`.
 * Read-only: the web server's job system marks dead workers' jobs every few seconds (JobSystem.sweep).
 */
export async function jobsFor(role: Role, filter: JobsFilter): Promise<JobView[]> {
  const { key } = await targetIdentity(integrityTargetDb())
  return listJobViews(stateDb(), key, role, filter)
}

/** The newest queued or running job of one of `kinds` on this target, as `role` sees it, or null. */
export async function activeJobFor(role: Role, kinds: string[]): Promise<JobView | null> {
  const { key } = await targetIdentity(integrityTargetDb())
  const [job] = await listJobs(stateDb(), { targetKey: key, kinds, states: ACTIVE_STATES, limit: 1 })
  return job ? jobView(job, role) : null
}
