'use client'

import { ActionButton } from '@/components/action-button'
import { cancelBackupWorkAction, deleteBackupAction, verifyBackupAction } from '../actions'
import { RestoreDialog } from './restore-dialog'

export interface RowBackup {
  id: string
  file: string
  kind: string
  format: string
  status: string
  encrypted: boolean
  /** Not limited to some schemas or tables. */
  whole: boolean
}

interface Props {
  backup: RowBackup
  database: string
  can: { create: boolean; restore: boolean; download: boolean; manage: boolean }
  /** The job running it, while it runs (Cancel stops it). */
  jobId: number | null
}

/** What may be done with one backup, by role: cancel, verify and drill (operators), download, restore and delete (admins). */
export function BackupRowActions({ backup, database, can, jobId }: Props) {
  const b = backup
  if (b.status === 'running') {
    return can.create && jobId !== null ? (
      <div className="row-actions">
        <ActionButton action={() => cancelBackupWorkAction({ jobId })} label="Cancel" danger testId="cancel-backup" />
      </div>
    ) : null
  }
  if (b.status !== 'succeeded') {
    return can.manage ? (
      <div className="row-actions">
        <ActionButton action={() => deleteBackupAction({ id: b.id })} label="Delete record" danger confirmText={`Delete the record of ${b.file}?`} testId="delete-backup" />
      </div>
    ) : null
  }
  const href = `/api/backups/${b.id}/download`
  return (
    <div className="row-actions">
      {can.create ? (
        <span className="row">
          <ActionButton action={() => verifyBackupAction({ id: b.id, drill: false })} label="Verify" testId="verify-backup" />
          <ActionButton action={() => verifyBackupAction({ id: b.id, drill: true })} label="Drill" testId="drill-backup" />
        </span>
      ) : null}
      {can.download && b.format !== 'directory' ? (
        <span className="row small">
          <a href={href} download data-testid="download-backup">
            Download{b.encrypted ? ' (encrypted)' : ''}
          </a>
          {b.encrypted ? (
            <a href={`${href}?decrypt=1`} download data-testid="download-decrypted">
              Download decrypted
            </a>
          ) : null}
        </span>
      ) : null}
      {can.restore ? <RestoreDialog backup={b} database={database} /> : null}
      {can.manage ? (
        <ActionButton action={() => deleteBackupAction({ id: b.id })} label="Delete" danger confirmText={`Delete ${b.file}? The file is removed; the catalogue keeps its record.`} testId="delete-backup" />
      ) : null}
    </div>
  )
}
