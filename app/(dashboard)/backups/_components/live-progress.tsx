'use client'

import { useRouter } from 'next/navigation'
import { useEffect } from 'react'
import { useLiveJson } from '@/components/use-live-json'
import { useRefreshWhenDone } from '@/components/use-refresh-when-done'
import type { BackupProgress } from '@/lib/backups/backup-progress'
import type { JobRow } from '@/lib/jobs/job-store'
import { WorkProgressBar } from './work-progress'

const URL = '/api/backups/progress'
const POLL_MS = 1500

function shapeOf(p: BackupProgress): string {
  return JSON.stringify([Object.entries(p.states ?? {}).sort(), p.backups ?? []])
}

function useBackupProgress(initial: BackupProgress) {
  return useLiveJson(URL, initial, (d) => (d.running ? POLL_MS : false))
}

/**
 * One running job's progress bar, following the page's poll. `fallback` is shown while the job has
 * no progress of its own (its catalogue row's counts).
 */
export function LiveWorkProgress({ jobId, label, initial, fallback = null }: { jobId: number | null; label: string; initial: BackupProgress; fallback?: JobRow['progress'] | null }) {
  const { data } = useBackupProgress(initial)
  const key = jobId === null ? null : String(jobId)
  // Once it ends its entry goes: the last known progress stays until the page renders the outcome.
  const progress = key === null ? fallback : (data.progress[key] ?? initial.progress[key] ?? fallback)
  return <WorkProgressBar label={label} progress={progress} />
}

/** Polls while anything is queued or runs and renders the page again once all of it has ended, so outcomes and new buttons appear. */
export function BackupsProgressPoll({ initial }: { initial: BackupProgress }) {
  const { data, error } = useBackupProgress(initial)
  useRefreshWhenDone(data.running)
  // A job that starts (its worker adds the backup's row) or ends while others run changes the
  // page's rows and buttons, not only a bar: render the page again once for each such change.
  const router = useRouter()
  const polled = shapeOf(data)
  const rendered = shapeOf(initial)
  useEffect(() => {
    if (data.running && polled !== rendered) router.refresh()
  }, [data.running, polled, rendered, router])
  return error ? (
    <div className="banner bad" role="alert">
      Live progress failed: {error.message} (showing the last answer).
    </div>
  ) : null
}
