import 'server-only'
import { can, type Role } from '../auth/permissions'
import { hideRowValuesInErrors } from '../db/db-errors'
import { integrityTargetDb, stateDb, targetDb } from '../db/server-dbs'
import { targetIdentity } from '../db/target-identity'
import { listMaintenanceJobs, type MaintenanceJob } from './maintenance-store'

/**
 * This target's newest maintenance jobs for the Tables and Indexes pages and their polling route.
 * Read-only: the web server's job system marks dead workers' jobs every few seconds (JobSystem.sweep).
 * An error may quote a row value (an expression index casting a row's text): only those who may
 * reveal data see it whole.
 */
export async function serverMaintenanceJobs(role: Role): Promise<MaintenanceJob[]> {
  const { key } = await targetIdentity(integrityTargetDb())
  const jobs = await listMaintenanceJobs(targetDb(), stateDb(), key)
  return can(role, 'data.reveal') ? jobs : hideRowValuesInErrors(jobs)
}
