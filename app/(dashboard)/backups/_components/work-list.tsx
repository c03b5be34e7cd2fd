import { DataTable } from '@/components/data-table'
import type { BackupWork } from '@/lib/jobs/backup-jobs'
import { ActionButton } from '@/components/action-button'
import { cancelBackupWorkAction } from '../actions'
import { WorkProgressBar } from './work-progress'

const STATUS_CLASS: Record<BackupWork['status'], string> = { running: 'warn', succeeded: 'ok', failed: 'bad', cancelled: 'muted' }

/** Verifications, drills and restores started in this dashboard: running ones with progress and Cancel, then the last results. */
export function WorkList({ work, can }: { work: BackupWork[]; can: { create: boolean; restore: boolean } }) {
  const stoppable = (w: BackupWork) => w.status === 'running' && (w.kind === 'restore' || w.kind === 'restore_table' ? can.restore : can.create)
  return (
    <DataTable
      label="Verifications, drills and restores"
      testId="backup-work"
      rows={work}
      rowKey={(w) => w.id}
      rowProps={(w) => ({ 'data-kind': w.kind, 'data-status': w.status })}
      empty="Nothing verified, drilled or restored since the dashboard started."
      columns={[
        { key: 'started', label: 'Started', value: (w) => w.startedAt, format: 'timestamp' },
        { key: 'what', label: 'What', value: (w) => w.title },
        { key: 'by', label: 'By', value: (w) => w.startedBy },
        {
          key: 'status',
          label: 'Status',
          cell: (w) => (
            <div data-testid="work-status">
              <span className={`badge ${STATUS_CLASS[w.status]}`}>{w.status}</span>
              {w.status === 'running' ? <WorkProgressBar label={w.title} progress={w.progress} /> : <div className="small">{w.message}</div>}
            </div>
          ),
        },
        {
          key: 'actions',
          label: '',
          cell: (w) => (stoppable(w) ? <ActionButton action={cancelBackupWorkAction.bind(null, { id: w.id })} label="Cancel" danger testId="cancel-work" /> : null),
        },
      ]}
    />
  )
}
