import { DataTable } from '@/components/data-table'
import { findJobKind } from '@/lib/jobs/all-kinds'
import type { JobRow } from '@/lib/jobs/job-store'
import { ActionButton } from '@/components/action-button'
import { cancelBackupWorkAction } from '../actions'
import type { BackupProgress } from '@/lib/backups/backup-progress'
import { LiveWorkProgress } from './live-progress'

const STATUS_CLASS: Record<JobRow['state'], string> = { queued: 'warn', running: 'warn', succeeded: 'ok', failed: 'bad', cancelled: 'muted', interrupted: 'bad' }

/** This database's backup jobs (backups, verifications, drills, restores) from the job rows: queued and running ones with progress and Cancel, then the last results. */
export function WorkList({ jobs, can, progress }: { jobs: JobRow[]; can: { create: boolean; restore: boolean }; progress: BackupProgress }) {
  const stoppable = (j: JobRow) => (j.state === 'running' || j.state === 'queued') && !j.cancelRequested && (j.kind === 'backup.restore' ? can.restore : can.create)
  return (
    <DataTable
      label="Backup jobs"
      testId="backup-work"
      rows={jobs}
      rowKey={(j) => String(j.id)}
      rowProps={(j) => ({ 'data-kind': j.kind, 'data-status': j.state, 'data-job': String(j.id) })}
      empty="No backup jobs yet: backups, verifications, drills and restores show here, with who started them and how they ended."
      columns={[
        { key: 'started', label: 'Queued', value: (j) => j.createdAt, format: 'timestamp' },
        {
          key: 'what',
          label: 'What',
          cell: (j) => (
            <>
              {findJobKind(j.kind)?.title ?? j.kind} <span className="small muted">#{j.id}</span>
              <div className="small">{j.subject}</div>
            </>
          ),
        },
        { key: 'by', label: 'By', value: (j) => (j.trigger === 'schedule' ? 'schedule' : j.startedBy) },
        {
          key: 'status',
          label: 'Status',
          cell: (j) => (
            <div data-testid="work-status">
              <span className={`badge ${STATUS_CLASS[j.state]}`}>{j.cancelRequested && j.state === 'running' ? 'stopping' : (j.result as { skipped?: boolean } | null)?.skipped ? 'skipped' : j.state}</span>
              {j.state === 'running' ? <LiveWorkProgress label={j.subject} jobId={j.id} initial={progress} fallback={j.progress} /> : null}
              {j.state !== 'running' && j.message ? <div className="small">{j.message}</div> : null}
              {j.state !== 'running' && j.error && j.error !== j.message ? <div className="small">{j.error}</div> : null}
            </div>
          ),
        },
        {
          key: 'actions',
          label: '',
          cell: (j) => (stoppable(j) ? <ActionButton action={cancelBackupWorkAction.bind(null, { jobId: j.id })} label="Cancel" danger testId="cancel-work" /> : null),
        },
      ]}
    />
  )
}
