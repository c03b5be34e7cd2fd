import { ProgressBar } from '@/components/progress-bar'
import type { JobRow } from '@/lib/jobs/job-store'

/** A running backup's or restore's job progress: tables done of total (from the tool's verbose output), then phase · bytes · table. */
export function WorkProgressBar({ label, progress }: { label: string; progress: JobRow['progress'] | null }) {
  const done = progress?.done ?? 0
  const total = progress?.total ?? 0
  const parts = [progress?.label || 'starting', total ? `${done} of ${total} tables` : null].filter(Boolean)
  return (
    <ProgressBar label={label} done={done} total={total} testId="work-progress">
      {parts.join(' · ')}
    </ProgressBar>
  )
}
