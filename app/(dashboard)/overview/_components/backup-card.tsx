import Link from 'next/link'
import { WidgetError } from '@/components/widget-error'
import { BACKUP_AGE_ALERT_HOURS, backupAge, type LastBackup, lastSuccessfulBackup } from '@/lib/backups/backup-age'
import { stateDb, targetDb } from '@/lib/db/server-dbs'
import { targetIdentity } from '@/lib/db/target-identity'
import { formatTimestamp } from '@/lib/format/units'

/** "Last successful backup N hours ago", red past BACKUP_AGE_ALERT_HOURS or when there is none. */
export async function BackupCard() {
  let last: LastBackup | null
  try {
    last = await lastSuccessfulBackup(stateDb(), (await targetIdentity(targetDb())).key)
  } catch (e) {
    return <WidgetError title="Backups" error={e} />
  }
  const age = backupAge(last?.finishedAt ?? null)
  const ago = age.hours === null ? null : age.hours === 0 ? 'less than an hour ago' : `${age.hours} hour${age.hours === 1 ? '' : 's'} ago`
  return (
    <div className="card" data-testid="backup-card" style={{ marginBottom: 20 }}>
      <div className="stat-label">Last successful backup</div>
      <div className={`stat${age.alert ? ' result bad' : ''}`} data-testid="backup-age" data-alert={age.alert ? 'true' : 'false'}>
        {last ? ago : 'none yet'}
      </div>
      {last ? (
        <div className="muted">
          {last.kind}, {formatTimestamp(last.finishedAt)}
          {last.verifyOk === null ? ', not verified' : last.verifyOk ? `, ${last.verifyKind} ok` : `, ${last.verifyKind} failed`}
          {age.alert ? ` · older than ${BACKUP_AGE_ALERT_HOURS} h` : ''}
        </div>
      ) : null}
      {/* On a line of its own: a link inside muted text would be told apart by colour alone. */}
      <div>
        <Link href="/backups">Open Backups</Link>
      </div>
    </div>
  )
}
