import type { Role } from '../auth/permissions'
import type { StateDb } from '../state/state-db'
import { JOBS_SHOWN, type JobsFilter } from './job-filter'
import { listJobs } from './job-store'
import { type JobView, jobView } from './job-view'

/** A target's jobs, newest first, as the Jobs page and GET /api/jobs show them to `role`; reads only. */
export async function listJobViews(state: StateDb, targetKey: string, role: Role, filter: JobsFilter): Promise<JobView[]> {
  const rows = await listJobs(state, { targetKey, kinds: filter.kind ? [filter.kind] : undefined, states: filter.state ? [filter.state] : undefined, limit: JOBS_SHOWN })
  return rows.map((j) => jobView(j, role))
}
