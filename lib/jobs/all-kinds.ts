import { dataBackupJob, fullBackupJob, schemaBackupJob } from '../backups/backup-job'
import { drillJob, restoreJob, verifyJob } from '../backups/work-jobs'
import { alembicDowngradeJob, alembicUpgradeJob } from '../alembic/jobs'
import { auditPruneJob } from '../audit/prune-job'
import { fixRestoreJob, integrityFixJob, integrityRunJob } from '../integrity/jobs'
import { maintenanceJob } from '../performance/maintenance-job'
import { metricsSampleJob } from '../metrics/sampler-job'
import { driftJob, dryRunJob, rehearsalJob, replayJob } from '../migrations/check-jobs'
import type { JobKind } from './job-kind'

/**
 * Every kind of background job. A new kind (maintenance, sampling, backup, restore, drill,
 * Alembic upgrade) is a defineJobKind() beside its concern and one entry here: the web server and
 * `dbadmin jobs worker` then create its queue and run it, and the Jobs page lists it.
 */
export const JOB_KINDS: JobKind[] = [
  integrityRunJob, integrityFixJob, fixRestoreJob, dryRunJob, rehearsalJob, driftJob, replayJob,
  fullBackupJob, schemaBackupJob, dataBackupJob, verifyJob, drillJob, restoreJob,
  maintenanceJob, alembicUpgradeJob, alembicDowngradeJob, auditPruneJob, metricsSampleJob,
]

export function findJobKind(kind: string): JobKind | undefined {
  return JOB_KINDS.find((k) => k.kind === kind)
}
