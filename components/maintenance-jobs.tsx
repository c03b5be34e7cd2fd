'use client'

import { useQueryClient } from '@tanstack/react-query'
import { cancelMaintenanceAction } from '@/app/(dashboard)/maintenance-actions'
import type { Json } from '@/lib/format/json-value'
import { formatMs, formatTimestamp } from '@/lib/format/units'
import type { MaintenanceJob } from '@/lib/performance/maintenance-store'
import { ConfirmActionButton } from './confirm-action-button'
import { DataTable } from './data-table'
import { ProgressBar } from './progress-bar'
import { useLiveJson } from './use-live-json'

export const MAINTENANCE_JOBS_URL = '/api/performance/maintenance'

const STATUS_BADGE: Record<string, string> = { succeeded: 'ok', failed: 'bad', interrupted: 'bad', cancelled: 'muted', running: 'warn', queued: 'muted' }

/** The newest maintenance jobs of this database, polled every 2 s while the page is visible. */
export function MaintenanceJobs({ initial, canCancel }: { initial: Json<{ jobs: MaintenanceJob[] }>; canCancel: boolean }) {
  const { data, error } = useLiveJson(MAINTENANCE_JOBS_URL, initial, 2000)
  const queryClient = useQueryClient()
  return (
    <div className="card" data-testid="maintenance-jobs">
      <h2>Maintenance jobs</h2>
      {error ? <div className="banner bad">Live refresh failed: {error.message}</div> : null}
      <DataTable
        label="Maintenance jobs"
        rows={data.jobs}
        rowKey={(j) => j.id}
        rowProps={(j) => ({ 'data-job': j.id, 'data-status': j.status })}
        empty="No maintenance has been started from the dashboard on this database."
        columns={[
          { key: 'id', label: '#', value: (j) => j.id },
          { key: 'what', label: 'Statement', cell: (j) => <code>{j.statement ?? `${j.kind} on ${j.tableKey}`}</code> },
          {
            key: 'status',
            label: 'Status',
            cell: (j) => (
              <>
                <span className={`badge ${STATUS_BADGE[j.status] ?? ''}`} data-testid="job-status">
                  {j.status}
                </span>
                {j.status === 'running' && j.progress ? (
                  <ProgressBar label={`Job ${j.id} progress`} done={j.progress.done ?? 0} total={j.progress.total ?? 0}>
                    {j.progress.phase}
                    {j.progress.fraction !== null ? ` ${(j.progress.fraction * 100).toFixed(0)} %` : ''}
                  </ProgressBar>
                ) : null}
                {j.error ? <div className="bad">{j.error}</div> : null}
                {j.leftovers.length ? <div className="warn">Left an invalid index to drop: {j.leftovers.join(', ')}</div> : null}
              </>
            ),
          },
          { key: 'by', label: 'Started by', value: (j) => j.startedBy },
          { key: 'at', label: 'Started', value: (j) => formatTimestamp(j.startedAt), nowrap: true },
          { key: 'took', label: 'Took', value: (j) => (j.durationMs === null ? null : formatMs(j.durationMs)), align: 'end' },
          canCancel && {
            key: 'cancel',
            label: '',
            cell: (j) =>
              j.status === 'running' || j.status === 'queued' ? (
                <ConfirmActionButton
                  action={cancelMaintenanceAction}
                  input={{ id: j.id }}
                  label="Cancel"
                  ariaLabel={`Cancel maintenance job ${j.id}`}
                  confirmText={`Cancel maintenance job #${j.id}?`}
                  onDone={() => void queryClient.invalidateQueries({ queryKey: [MAINTENANCE_JOBS_URL] })}
                />
              ) : null,
          },
        ]}
      />
    </div>
  )
}
