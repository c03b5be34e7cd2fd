import type { Kysely } from 'kysely'
import { type BackupRecord, listBackups } from '../backups/catalogue'
import type { WorkProgress } from '../backups/types'
import { type BackupWork, listBackupWork } from './backup-jobs'

/** What the Backups page follows while work runs: the progress of each running backup, verification, drill and restore. */
export interface BackupProgress {
  running: boolean
  /** By work id (a backup's work id is its catalogue id). */
  progress: Record<string, WorkProgress>
}

/**
 * The running work of `targetKey` from what the page already loaded: a backup this process runs
 * reports live progress, one run elsewhere (the CLI) the counts its row last recorded.
 */
export function backupProgressOf(backups: BackupRecord[], work: BackupWork[]): BackupProgress {
  const progress: Record<string, WorkProgress> = {}
  for (const b of backups) {
    if (b.status === 'running') progress[b.id] = { phase: 'dumping', tablesDone: b.tablesDone, tablesTotal: b.tablesTotal ?? undefined, bytesWritten: b.bytesWritten }
  }
  for (const w of work) {
    if (w.status === 'running' && w.progress) progress[w.id] = w.progress
  }
  return { running: backups.some((b) => b.status === 'running') || work.some((w) => w.status === 'running'), progress }
}

export async function readBackupProgress(state: Kysely<any>, targetKey: string): Promise<BackupProgress> {
  return backupProgressOf(await listBackups(state, targetKey), listBackupWork(targetKey))
}
