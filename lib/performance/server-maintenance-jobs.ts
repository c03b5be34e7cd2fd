import 'server-only'
import { integrityTargetDb, stateDb, targetDb } from '../db/server-dbs'
import { targetIdentity } from '../db/target-identity'
import { listMaintenanceJobs, type MaintenanceJob } from './maintenance-store'

/**
 * This target's newest maintenance jobs for the Tables and Indexes pages and their polling route.
 * Read-only: the web server's job system marks dead workers' jobs every few seconds (JobSystem.sweep).
 */
export async function serverMaintenanceJobs(): Promise<MaintenanceJob[]> {
  const { key } = await targetIdentity(integrityTargetDb())
  return listMaintenanceJobs(targetDb(), stateDb(), key)
}
