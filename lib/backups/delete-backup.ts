import { BackupError } from './backup-error'
import { resolveBackupPath, removeTree } from './backup-files'
import { markBackupDeleted, requireBackup } from './catalogue'
import type { StateDb } from '../state/state-db'

/**
 * Deletes a backup's file and marks its record deleted (the record stays, so the history shows
 * what existed and who removed it). A running backup is not deleted: cancel it.
 */
export async function deleteBackup(state: StateDb, id: string, o: { targetKey: string; dir: string; deletedBy: string }): Promise<void> {
  const b = await requireBackup(state, o.targetKey, id)
  if (b.status === 'running') throw new BackupError('conflict', 'This backup is still running: cancel it instead.')
  removeTree(resolveBackupPath(o.dir, b.file))
  await markBackupDeleted(state, id, o.deletedBy)
}
