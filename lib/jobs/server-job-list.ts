import 'server-only'
import type { Role } from '../auth/permissions'
import { integrityTargetDb, stateDb } from '../db/server-dbs'
import { targetIdentity } from '../db/target-identity'
import type { JobView } from './job-view'
import type { JobsFilter } from './job-filter'
import { listJobViews } from './job-list'

/**
 * This target's jobs, newest first, as the page and its polling route show them to `role`.
 * Read-only: the web server's job system marks dead workers' jobs every few seconds (JobSystem.sweep).
 */
export async function jobsFor(role: Role, filter: JobsFilter): Promise<JobView[]> {
  const { key } = await targetIdentity(integrityTargetDb())
  return listJobViews(stateDb(), key, role, filter)
}
