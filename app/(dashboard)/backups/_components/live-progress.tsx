'use client'

import { useLiveJson } from '@/components/use-live-json'
import { useRefreshWhenDone } from '@/components/use-refresh-when-done'
import type { WorkProgress } from '@/lib/backups/types'
import type { BackupProgress } from '@/lib/jobs/backup-progress'
import { WorkProgressBar } from './work-progress'

const URL = '/api/backups/progress'
const POLL_MS = 1500

function useBackupProgress(initial: BackupProgress) {
  return useLiveJson(URL, initial, (d) => (d.running ? POLL_MS : false))
}

/** One running piece of work's progress bar, following the page's poll. */
export function LiveWorkProgress({ id, label, initial }: { id: string; label: string; initial: BackupProgress }) {
  const { data } = useBackupProgress(initial)
  // Once it ends its entry goes: the last known progress stays until the page renders the outcome.
  const progress: WorkProgress | null = data.progress[id] ?? initial.progress[id] ?? null
  return <WorkProgressBar label={label} progress={progress} />
}

/** Polls while anything runs and renders the page again once all of it has ended, so outcomes and new buttons appear. */
export function BackupsProgressPoll({ initial }: { initial: BackupProgress }) {
  const { data, error } = useBackupProgress(initial)
  useRefreshWhenDone(data.running)
  return error ? (
    <div className="banner bad" role="alert">
      Live progress failed: {error.message} (showing the last answer).
    </div>
  ) : null
}
