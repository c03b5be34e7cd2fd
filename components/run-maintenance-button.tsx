'use client'

import { useQueryClient } from '@tanstack/react-query'
import { startMaintenanceAction } from '@/app/(dashboard)/maintenance-actions'
import type { MaintenanceTask } from '@/lib/performance/maintenance'
import { ConfirmActionButton } from './confirm-action-button'
import { MAINTENANCE_JOBS_URL } from './maintenance-jobs'

/** Starts one maintenance task as a background job; the jobs widget shows its progress. */
export function RunMaintenanceButton({ task, label, confirmText, testId }: { task: MaintenanceTask; label: string; confirmText: string; testId?: string }) {
  const queryClient = useQueryClient()
  return (
    <ConfirmActionButton
      action={startMaintenanceAction}
      input={task}
      label={label}
      confirmText={confirmText}
      danger={task.kind === 'drop-index'}
      onDone={() => void queryClient.invalidateQueries({ queryKey: [MAINTENANCE_JOBS_URL] })}
      testId={testId}
    />
  )
}
