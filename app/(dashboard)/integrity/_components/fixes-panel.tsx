import { WidgetError } from '@/components/widget-error'
import { can } from '@/lib/auth/permissions'
import { hideRowValuesInErrors } from '@/lib/db/db-errors'
import type { AppUser } from '@/lib/auth/users'
import { toJson } from '@/lib/format/json-value'
import { relationQuery } from '@/lib/integrity/orphan-csv'
import type { IntegrityProgress } from '@/lib/integrity/progress'
import type { RelationRef } from '@/lib/integrity/types'
import { FixJobs } from './fix-jobs'
import type { TargetIdentity } from '@/lib/db/target-identity'
import { HISTORY_SIZE, loadProgress, loadTarget } from './integrity-data'

/** The orphan fixes and restores on this database, or of one relation: on the Integrity page and a relation's page. */
export async function FixesPanel({ user, relation }: { user: AppUser; relation?: RelationRef }) {
  let progress: IntegrityProgress
  let target: TargetIdentity
  try {
    target = await loadTarget()
    progress = await loadProgress(relation)
  } catch (e) {
    return <WidgetError title="Fixes" error={e} />
  }
  if (!can(user.role, 'data.reveal')) progress = hideRowValuesInErrors(progress)
  return (
    <section className="card integrity-section" id="fixes" aria-labelledby="fixes-title">
      <h2 id="fixes-title">{relation ? 'Fixes of this relation' : 'Fixes'}</h2>
      <p className="muted">
        The last {HISTORY_SIZE} orphan fixes and restores on <span className="mono">{target.database}</span>
        {relation ? ' for this relation' : ''}. Each fix saved every row it changed before changing it; Restore puts them
        back (deleted rows are re-inserted, NULLed references get their values again).
      </p>
      <FixJobs
        initial={toJson(progress)}
        relationQuery={relation ? relationQuery(relation) : undefined}
        canFix={can(user.role, 'data.fix')}
        canDownload={can(user.role, 'backups.download')}
        showRelation={!relation}
      />
    </section>
  )
}
