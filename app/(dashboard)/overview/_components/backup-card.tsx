import Link from 'next/link'
import { WidgetError } from '@/components/widget-error'
import { BACKUP_AGE_ALERT_HOURS, backupAge, type LastBackup, type LastDrill, lastDrill, lastSuccessfulBackup } from '@/lib/backups/backup-age'
import { stateDb, targetDb } from '@/lib/db/server-dbs'
import { targetIdentity } from '@/lib/db/target-identity'
import { formatTimestamp } from '@/lib/format/units'

function hoursAgo(hours: number | null): string | null {
  return hours === null ? null : hours === 0 ? 'less than an hour ago' : `${hours} hour${hours === 1 ? '' : 's'} ago`
}

/**
 * "Last successful backup N hours ago", red past BACKUP_AGE_ALERT_HOURS or when there is none; and
 * the newest restore drill's result, whichever backup it drilled (red when it failed).
 */
export async function BackupCard() {
  let last: LastBackup | null
  let drill: LastDrill | null
  try {
    const key = (await targetIdentity(targetDb())).key
    ;[last, drill] = await Promise.all([lastSuccessfulBackup(stateDb(), key), lastDrill(stateDb(), key)])
  } catch (e) {
    return <WidgetError title="Backups" error={e} />
  }
  const age = backupAge(last?.finishedAt ?? null)
  const ago = hoursAgo(age.hours)
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
      <div data-testid="backup-drill" data-ok={drill ? String(drill.ok) : undefined} className={drill && !drill.ok ? 'result bad' : 'muted'}>
        {drill
          ? `Last restore drill ${drill.ok ? 'passed' : 'FAILED'} ${hoursAgo(backupAge(drill.at).hours)} (${drill.kind} backup ${drill.file})${drill.ok || !drill.error ? '' : `: ${drill.error}`}`
          : 'No restore drill yet.'}
      </div>
      {/* On a line of its own: a link inside muted text would be told apart by colour alone. */}
      <div>
        <Link href="/backups">Open Backups</Link>
      </div>
    </div>
  )
}
