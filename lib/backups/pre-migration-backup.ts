import path from 'node:path'

import { JobBusyError } from '../jobs/enqueue'
import type { JobSystem } from '../jobs/job-system'
import { waitForJob } from '../jobs/wait-for-job'
import { BackupError } from './backup-error'
import { backupDirectory } from './backup-files'
import type { StateDb } from '../state/state-db'

export interface PreMigrationBackup {
  id: string
  /** The job that took it (on the Jobs and Backups pages). */
  jobId: number
  path: string
  bytes: number
}

/**
 * The full backup taken before a migration run, as a backup.full job on the queue (origin
 * pre_migration, linked to the run): catalogued like any other (checksummed, 0600, listed,
 * verifiable, restorable, cancellable), one at a time with the other backups of the target. The
 * run waits for the job and starts only once it succeeded: a busy, failed, cancelled or
 * interrupted backup is an error and no migration runs.
 */
export async function queuedPreMigrationBackup(
  jobs: JobSystem,
  state: StateDb,
  o: { runId: number; startedBy: string; dataPath: string; timeoutMs?: number },
): Promise<PreMigrationBackup> {
  let job
  try {
    job = await jobs.enqueue('backup.full', { format: 'custom', migrationRunId: o.runId }, { startedBy: o.startedBy, trigger: 'manual' })
  } catch (e) {
    if (e instanceof JobBusyError) throw new BackupError('conflict', e.message)
    throw e
  }
  const kind = jobs.kind('backup.full')
  const done = await waitForJob(state, job.id, { timeoutMs: o.timeoutMs ?? kind.expireInMinutes * 60_000, everyMs: 250, markDead: () => jobs.markDead() })
  if (done.state === 'queued' || done.state === 'running') {
    await jobs.cancel(done.id)
    throw new BackupError('backup_failed', `Backup job #${done.id} did not finish in time and was cancelled.`)
  }
  const r = done.result as { backupId?: string; file?: string; sizeBytes?: number } | null
  if (done.state !== 'succeeded' || !r?.backupId || !r.file) {
    throw new BackupError('backup_failed', `Backup job #${done.id} ${done.state}: ${done.error ?? done.message ?? 'no error text'}`)
  }
  return { id: r.backupId, jobId: done.id, path: path.join(backupDirectory(o.dataPath), r.file), bytes: r.sizeBytes ?? 0 }
}
