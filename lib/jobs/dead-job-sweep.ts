import type { Kysely } from 'kysely'
import { markDeadBackups } from '../backups/catalogue'
import { markDeadFixJobs } from '../integrity/dead-fix-jobs'
import { markDeadRuns } from '../integrity/run-store'
import { markDeadMaintenanceJobs } from './maintenance-job'

/**
 * Run at start: records the jobs an earlier process left running as interrupted, and removes the
 * incomplete row files of fixes that died while saving (every read does the same; this makes it
 * happen before anyone looks).
 */
export async function sweepDeadJobs(state: Kysely<any>): Promise<{ runs: number; fixes: number; backups: number; maintenance: number }> {
  const runs = await markDeadRuns(state)
  const fixes = await markDeadFixJobs(state)
  const backups = await markDeadBackups(state)
  const maintenance = await markDeadMaintenanceJobs(state)
  return { runs: runs.length, fixes: fixes.length, backups: backups.length, maintenance: maintenance.length }
}
