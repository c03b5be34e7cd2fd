import Link from 'next/link'
import { DataTable } from '@/components/data-table'
import { requireUser } from '@/lib/auth/current-user'
import { can } from '@/lib/auth/permissions'
import { type BackupRecord, listBackups } from '@/lib/backups/catalogue'
import { backupSetup } from '@/lib/backups/server-backups'
import { withoutRowValues } from '@/lib/db/db-errors'
import { stateDb } from '@/lib/db/server-dbs'
import { formatTimestamp } from '@/lib/format/units'
import { BACKUP_KINDS } from '@/lib/backups/backup-job'
import { backupProgressOf } from '@/lib/backups/backup-progress'
import { getRetentionPolicy } from '@/lib/backups/retention-policy'
import { BACKUP_WORK_KINDS } from '@/lib/backups/work-jobs'
import { serverJobs } from '@/lib/jobs/server-jobs'
import { listJobs } from '@/lib/jobs/job-store'
import { CreateBackupForm } from './_components/create-backup-form'
import { RetentionForm } from './_components/retention-form'
import { BackupRowActions } from './_components/row-actions'
import { UploadForm } from './_components/upload-form'
import { WorkList } from './_components/work-list'
import { BackupsProgressPoll, LiveWorkProgress } from './_components/live-progress'

export const dynamic = 'force-dynamic'

const STATUS_CLASS: Record<BackupRecord['status'], string> = { running: 'warn', succeeded: 'ok', failed: 'bad', interrupted: 'bad' }

function scopeText(b: BackupRecord): string | null {
  if (!b.scope) return null
  const parts = [...(b.scope.schemas ?? []).map((s) => `schema ${s}`), ...(b.scope.tables ?? []).map((t) => `${t.schema}.${t.table}`)]
  return parts.join(', ')
}

function Verified({ b }: { b: BackupRecord }) {
  if (b.verifyOk === null) return <span className="muted">never</span>
  const what = b.verifyKind === 'drill' ? 'drill' : 'checksum'
  return (
    <span title={b.verifyError ?? undefined}>
      <span className={`badge ${b.verifyOk ? 'ok' : 'bad'}`}>{b.verifyOk ? `${what} ok` : `${what} failed`}</span>
      <div className="small muted">{formatTimestamp(b.verifiedAt)}</div>
      {b.verifyOk ? null : <div className="small">{b.verifyError}</div>}
    </span>
  )
}

export default async function BackupsPage() {
  const user = await requireUser()
  const s = await backupSetup()
  // Dead workers' jobs first, so that nothing shows as running that is not.
  // Through the job system, whose services hold the target logins: a dead maintenance job's statement is cancelled too.
  await (await serverJobs()).markDead()
  const [found, foundJobs, retention] = await Promise.all([
    listBackups(stateDb(), s.targetKey),
    listJobs(stateDb(), { targetKey: s.targetKey, kinds: [...BACKUP_KINDS, ...BACKUP_WORK_KINDS], limit: 30 }),
    getRetentionPolicy(stateDb(), s.targetKey),
  ])
  // A restore's or drill's error may quote row values (pg_restore's COPY errors): only those who may reveal data see them whole.
  const shown = (text: string | null) => (text === null || can(user.role, 'data.reveal') ? text : withoutRowValues(text))
  const backups = found.map((b) => ({ ...b, error: shown(b.error), verifyError: shown(b.verifyError) }))
  const jobs = foundJobs.map((j) => ({ ...j, message: shown(j.message), error: shown(j.error) }))
  const live = new Map(jobs.filter((j) => j.state === 'running').map((j) => [j.id, j]))
  const rights = {
    create: can(user.role, 'backups.create'),
    restore: can(user.role, 'backups.restore'),
    download: can(user.role, 'backups.download'),
    manage: can(user.role, 'backups.manage'),
  }
  const progress = backupProgressOf(
    jobs,
    backups.filter((b) => b.status === 'running').map((b) => String(b.id)),
  )
  return (
    <>
      <h1>Backups</h1>
      <p className="muted">
        Backups of <strong>{s.targetDatabase}</strong> in <span className="mono">{s.dir}</span> (files 0600, checksummed
        {s.encrypt ? ', encrypted with age' : ', not encrypted: set BACKUP_ENCRYPTION_PASSPHRASE or _RECIPIENTS'}).
      </p>
      <BackupsProgressPoll initial={progress} />
      {rights.create ? (
        <div className="card" style={{ marginBottom: 20 }}>
          <h2>Create a backup</h2>
          <CreateBackupForm />
        </div>
      ) : null}
      <DataTable
        label="Backups"
        testId="backups-table"
        rows={backups}
        rowKey={(b) => b.id}
        rowProps={(b) => ({ id: `backup-${b.id}`, 'data-id': b.id, 'data-status': b.status, 'data-kind': b.kind, 'data-file': b.file, 'data-job': b.jobId === null ? '' : String(b.jobId) })}
        empty={rights.create ? 'No backups of this database yet. Create one above.' : 'No backups of this database yet. An operator or admin can create one.'}
        columns={[
          { key: 'started', label: 'Started', value: (b) => b.startedAt, format: 'timestamp' },
          {
            key: 'status',
            label: 'Status',
            cell: (b) => (
              <div data-testid="backup-status">
                <span className={`badge ${STATUS_CLASS[b.status]}`}>{b.status}</span>
                {b.status === 'running' ? (
                  <LiveWorkProgress label={`Backup ${b.file}`} jobId={b.jobId} initial={progress} fallback={{ done: b.tablesDone, total: b.tablesTotal, label: 'dumping' }} />
                ) : null}
                {b.error ? <div className="small">{b.error}</div> : null}
              </div>
            ),
          },
          {
            key: 'kind',
            label: 'Kind',
            cell: (b) => (
              <>
                {b.kind}
                {b.origin !== 'manual' ? <div className="small muted">{b.origin.replace('_', '-')}</div> : null}
                {scopeText(b) ? <div className="small muted">{scopeText(b)}</div> : null}
              </>
            ),
          },
          { key: 'format', label: 'Format', value: (b) => b.format },
          { key: 'size', label: 'Size', value: (b) => b.sizeBytes, format: 'bytes' },
          { key: 'duration', label: 'Took', value: (b) => b.durationMs, format: 'duration' },
          { key: 'sha256', label: 'SHA-256', cell: (b) => (b.sha256 ? <span className="mono small" title={b.sha256}>{b.sha256.slice(0, 12)}…</span> : <span className="muted">–</span>) },
          { key: 'encrypted', label: 'Encrypted', cell: (b) => (b.encrypted ? <span className="badge ok">age</span> : <span className="muted">no</span>) },
          { key: 'verified', label: 'Verified', cell: (b) => <Verified b={b} /> },
          { key: 'by', label: 'By', value: (b) => b.createdBy },
          {
            key: 'actions',
            label: 'Actions',
            cell: (b) => (
              <BackupRowActions
                backup={{ id: b.id, file: b.file, kind: b.kind, format: b.format, status: b.status, encrypted: b.encrypted, whole: !b.scope }}
                database={s.targetDatabase}
                can={rights}
                jobId={b.jobId !== null && live.has(b.jobId) ? b.jobId : null}
              />
            ),
          },
        ]}
      />
      <h2 style={{ marginTop: 24 }}>Backup jobs</h2>
      <p className="muted small">
        Backups, verifications, drills and restores run as jobs (also on the <Link href="/jobs">Jobs page</Link>, where admins set their schedules).
      </p>
      <WorkList jobs={jobs} can={rights} progress={progress} />
      {rights.manage ? (
        <div className="card" style={{ marginTop: 20 }}>
          <h2>Upload a backup</h2>
          <UploadForm maxBytes={s.uploadMaxBytes} />
          <h2 style={{ marginTop: 20 }}>Retention</h2>
          <p className="muted small">
            Keeps a backup when any rule keeps it, per kind; the newest successful backup is always kept. Failed ones go once a newer one succeeded. A saved
            policy is applied after each successful scheduled backup; preview shows what it deletes before you save it.
          </p>
          <p className="small" data-testid="saved-retention">
            {retention
              ? `Saved by ${retention.setBy} ${formatTimestamp(retention.setAt)}; ${retention.enabled ? 'applied after scheduled backups' : 'switched off'}.`
              : 'No policy saved: scheduled backups delete nothing.'}
          </p>
          <RetentionForm saved={retention ? { ...retention.policy, enabled: retention.enabled } : null} />
        </div>
      ) : null}
    </>
  )
}
