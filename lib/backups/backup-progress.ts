import type { Kysely } from 'kysely'
import { markDeadJobs } from '../jobs/dead-jobs'
import { type JobRow, listJobs } from '../jobs/job-store'
import { BACKUP_KINDS } from './backup-job'
import { BACKUP_WORK_KINDS } from './work-jobs'

/** What the Backups page follows while work runs: the progress of each queued or running backup, verification, drill and restore job. */
export interface BackupProgress {
  running: boolean
  /** By job id. */
  progress: Record<string, JobRow['progress']>
}

/** The queued and running jobs among `jobs`: their progress by job id, and whether the page should keep polling. */
export function backupProgressOf(jobs: JobRow[]): BackupProgress {
  const active = jobs.filter((j) => j.state === 'running' || j.state === 'queued')
  return { running: active.length > 0, progress: Object.fromEntries(active.map((j) => [String(j.id), j.progress])) }
}

/** Reads it from the job rows of `targetKey`, after marking dead workers' jobs, so a page never polls work that no process runs. */
export async function readBackupProgress(state: Kysely<any>, targetKey: string): Promise<BackupProgress> {
  await markDeadJobs(state)
  const jobs = await listJobs(state, { targetKey, kinds: [...BACKUP_KINDS, ...BACKUP_WORK_KINDS], states: ['queued', 'running'], limit: 100 })
  return backupProgressOf(jobs)
}
