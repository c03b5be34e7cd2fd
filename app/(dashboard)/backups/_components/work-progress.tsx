import { ProgressBar } from '@/components/progress-bar'
import type { WorkProgress } from '@/lib/backups/types'
import { formatBytes } from '@/lib/format/units'

/** A running backup's or restore's phase, tables done of total (from the tool's verbose output), bytes written. */
export function WorkProgressBar({ label, progress }: { label: string; progress: WorkProgress | null }) {
  const done = progress?.tablesDone ?? 0
  const total = progress?.tablesTotal ?? 0
  const parts = [
    progress?.phase ?? 'starting',
    total ? `${done} of ${total} tables` : null,
    progress?.bytesWritten ? formatBytes(progress.bytesWritten) : null,
    progress?.currentTable ? progress.currentTable : null,
  ].filter(Boolean)
  return (
    <ProgressBar label={label} done={done} total={total} testId="work-progress">
      {parts.join(' · ')}
    </ProgressBar>
  )
}
