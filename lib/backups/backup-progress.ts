import { type JobRow, listJobs } from '../jobs/job-store'
import { BACKUP_KINDS } from './backup-job'
import { BACKUP_WORK_KINDS } from './work-jobs'
import type { StateDb } from '../state/state-db'

/** What the Backups page follows while work runs: the progress of each queued or running backup, verification, drill and restore job. */
export interface BackupProgress {
  running: boolean
  /** By job id. */
  progress: Record<string, JobRow['progress']>
  /** Each queued or running job's state, by job id: a job that starts or ends changes the page, not only its bar. */
  states: Record<string, JobRow['state']>
  /** The catalogue's running backups (a job's worker adds its row once it starts). */
  backups: string[]
}

/** The queued and running jobs among `jobs`: their progress by job id, and whether the page should keep polling. */
export function backupProgressOf(jobs: JobRow[], runningBackups: string[] = []): BackupProgress {
  const active = jobs.filter((j) => j.state === 'running' || j.state === 'queued')
  return {
    running: active.length > 0 || runningBackups.length > 0,
    progress: Object.fromEntries(active.map((j) => [String(j.id), j.progress])),
    states: Object.fromEntries(active.map((j) => [String(j.id), j.state])),
    backups: [...runningBackups].sort(),
  }
}

/**
 * Reads it from the job rows of `targetKey`. Read-only, as every poll is: the page polls it every
 * 1.5 s, and the web server's job system marks dead workers' jobs every few seconds (JobSystem.sweep),
 * which ends the poll of work that no process runs.
 */
export async function readBackupProgress(state: StateDb, targetKey: string): Promise<BackupProgress> {
  const [jobs, backups] = await Promise.all([
    listJobs(state, { targetKey, kinds: [...BACKUP_KINDS, ...BACKUP_WORK_KINDS], states: ['queued', 'running'], limit: 100 }),
    state.selectFrom('backup').select('id').where('target_key', '=', targetKey).where('status', '=', 'running').where('deleted_at', 'is', null).execute(),
  ])
  return backupProgressOf(jobs, backups.map((b) => String(b.id)))
}
