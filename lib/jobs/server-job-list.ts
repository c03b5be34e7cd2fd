import 'server-only'
import type { Role } from '../auth/permissions'
import { integrityTargetDb, stateDb } from '../db/server-dbs'
import { targetIdentity } from '../db/target-identity'
import { markDeadJobs } from './dead-jobs'
import { listJobs } from './job-store'
import { type JobView, jobView } from './job-view'
import { JOBS_SHOWN, type JobsFilter } from './job-filter'

/** This target's jobs, newest first, as the page and its polling route show them to `role`. */
export async function jobsFor(role: Role, filter: JobsFilter): Promise<JobView[]> {
  const state = stateDb()
  // Nobody is shown a dead worker's job as running (workers sweep too, but maybe none runs now).
  await markDeadJobs(state)
  const { key } = await targetIdentity(integrityTargetDb())
  const rows = await listJobs(state, { targetKey: key, kinds: filter.kind ? [filter.kind] : undefined, states: filter.state ? [filter.state] : undefined, limit: JOBS_SHOWN })
  return rows.map((j) => jobView(j, role))
}
