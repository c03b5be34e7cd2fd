'use client'

import { useLiveJson, useRefreshWhenWorkChanges } from '@/components/use-live-json'
import type { BackupProgress } from '@/lib/backups/backup-progress'
import type { JobRow } from '@/lib/jobs/job-store'
import { WorkProgressBar } from './work-progress'

const URL = '/api/backups/progress'
const POLL_MS = 1500

/** The page's active work: each queued or running job's state (a start adds a catalogue row) and the running backups. */
function workOf(p: BackupProgress): string {
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

/**
 * Polls while anything is queued or runs, and renders the page again whenever a job starts (its
 * worker adds the backup's catalogue row) or ends, so rows, outcomes and buttons appear.
 */
export function BackupsProgressPoll({ initial }: { initial: BackupProgress }) {
  const { data, error } = useBackupProgress(initial)
  useRefreshWhenWorkChanges(workOf(initial), workOf(data))
  return error ? (
    <div className="banner bad" role="alert">
      Live progress failed: {error.message} (showing the last answer).
    </div>
  ) : null
}
