import { WidgetError } from '@/components/widget-error'
import type { AppUser } from '@/lib/auth/users'
import { can } from '@/lib/auth/permissions'
import { hideRowValuesInErrors } from '@/lib/db/db-errors'
import { toJson } from '@/lib/format/json-value'
import type { IntegrityProgress } from '@/lib/integrity/progress'
import { loadProgress, loadTargetDatabase } from './integrity-data'
import { LiveRunHeader } from './live-run-header'

/** The newest run on this database: its state and progress, and the run and cancel buttons. */
export async function RunHeader({ user }: { user: AppUser }) {
  let progress: IntegrityProgress
  let database: string
  try {
    database = await loadTargetDatabase()
    progress = await loadProgress()
  } catch (e) {
    return <WidgetError title="Integrity runs" error={e} />
  }
  if (!can(user.role, 'data.reveal')) progress = hideRowValuesInErrors(progress)
  return (
    <div className="card integrity-header">
      <LiveRunHeader initial={toJson(progress)} database={database} canRun={can(user.role, 'checks.run')} />
    </div>
  )
}
