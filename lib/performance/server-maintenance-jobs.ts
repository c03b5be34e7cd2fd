import 'server-only'
import { integrityTargetDb, stateDb, targetDb } from '../db/server-dbs'
import { targetIdentity } from '../db/target-identity'
import { markDeadJobs } from '../jobs/dead-jobs'
import { listMaintenanceJobs, type MaintenanceJob } from './maintenance-store'

/** This target's newest maintenance jobs for the Tables and Indexes pages and their polling route. */
export async function serverMaintenanceJobs(): Promise<MaintenanceJob[]> {
  // Nobody is shown a dead worker's job as running (workers sweep too, but maybe none runs now).
  await markDeadJobs(stateDb())
  const { key } = await targetIdentity(integrityTargetDb())
  return listMaintenanceJobs(targetDb(), stateDb(), key)
}
