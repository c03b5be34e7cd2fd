import Link from 'next/link'
import { DataTable, Pager } from '@/components/data-table'
import { WidgetError } from '@/components/widget-error'
import { can } from '@/lib/auth/permissions'
import type { AppUser } from '@/lib/auth/users'
import { hideRowValuesInErrors } from '@/lib/db/db-errors'
import { stateDb } from '@/lib/db/server-dbs'
import { formatMs } from '@/lib/format/units'
import { listRuns, type MigrationRun } from '@/lib/migrations/run-store'
import { isCheckKind, StoredCheckReport } from './check-reports'
import { hasRunOutput, RunOutput } from './run-output'
import { loadLockHeld, loadTarget } from './migrations-data'

export const HISTORY_PAGE_SIZE = 20

const KIND_LABEL: Record<MigrationRun['kind'], string> = {
  apply: 'apply',
  rollback: 'rollback',
  dry_run: 'dry run',
  rehearsal: 'rollback test',
  drift: 'drift check',
  replay: 'replay check',
  baseline: 'baseline',
  alembic_upgrade: 'Alembic upgrade',
  alembic_downgrade: 'Alembic downgrade',
  alembic_sql: 'Alembic dry run (SQL)',
  alembic_rehearsal: 'Alembic rehearsal',
  alembic_drift: 'Alembic drift check',
}

const STATUS_BADGE: Record<MigrationRun['status'], string> = {
  succeeded: 'ok',
  failed: 'bad',
  running: 'demo',
  interrupted: 'warn',
  refused: 'muted',
}

function RunSteps({ run }: { run: MigrationRun }) {
  const failedStep = run.steps.some((s) => s.error)
  const check = isCheckKind(run.kind) ? run.kind : null
  return (
    <>
      {/* Checks change nothing and record no steps: what they found is their report. */}
      {check ? <StoredCheckReport kind={check} report={run.report} /> : null}
      {run.steps.length === 0 && !check && run.kind !== 'alembic_sql' ? <span className="muted">no migration ran</span> : null}
      <ul className="plain steps">
        {run.steps.map((s) => (
          <li key={s.id}>
            <span className="mono">{s.name}</span> <span className="muted">{s.direction === 'up' ? '↑ up' : '↓ down'}</span>{' '}
            <span className={`badge ${STATUS_BADGE[s.status]}`}>{s.status}</span>{' '}
            <span className="muted">{formatMs(s.durationMs)}</span>
            {s.error ? (
              <details className="step-error">
                <summary>error</summary>
                <pre className="run-error">{s.error}</pre>
              </details>
            ) : null}
          </li>
        ))}
      </ul>
      {hasRunOutput(run.kind) ? <RunOutput run={run} /> : null}
      {run.error && !failedStep ? (
        <details className="step-error">
          <summary>error</summary>
          <pre className="run-error">{run.error}</pre>
        </details>
      ) : null}
    </>
  )
}

/** Migration runs on this database, newest first, with their steps, backup and schema diff. */
export async function RunHistory({ user, beforeId }: { user: AppUser; beforeId?: number }) {
  let runs: MigrationRun[]
  let database: string
  try {
    const lockHeld = await loadLockHeld()
    const target = await loadTarget()
    database = target.database
    runs = await listRuns(stateDb(), {
      targetKey: target.key,
      limit: HISTORY_PAGE_SIZE,
      beforeId,
      lockHeld: lockHeld ?? undefined,
    })
  } catch (e) {
    return <WidgetError title="History" error={e} />
  }
  // A failed data migration's error may quote row values: only those who may reveal data see them.
  if (!can(user.role, 'data.reveal')) runs = hideRowValuesInErrors(runs)
  return (
    <section className="card run-history" id="history" aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      <p className="muted">
        Every apply, rollback and check on <span className="mono">{database}</span>, from this dashboard or its CLI,
        newest first.
      </p>
      <DataTable
        label="Migration run history"
        testId="run-history"
        rows={runs}
        rowKey={(r) => r.id}
        rowProps={(r) => ({ 'data-run-id': r.id, 'data-kind': r.kind, 'data-status': r.status })}
        empty={beforeId ? 'No older runs.' : 'No migration runs yet. Applies, rollbacks and the checks above are recorded here.'}
        columns={[
          { key: 'id', label: '#', value: (r) => r.id },
          { key: 'kind', label: 'Kind', value: (r) => KIND_LABEL[r.kind] ?? r.kind, nowrap: true },
          { key: 'status', label: 'Status', cell: (r) => <span className={`badge ${STATUS_BADGE[r.status]}`}>{r.status}</span> },
          {
            key: 'who',
            label: 'Who',
            cell: (r) => (
              <>
                {r.startedBy} <span className="badge muted">{r.source}</span>
                {r.dbRole ? <div className="muted small" data-testid="run-db-role">as role {r.dbRole}</div> : null}
              </>
            ),
          },
          { key: 'when', label: 'When', value: (r) => r.startedAt, format: 'timestamp', className: 'when' },
          { key: 'duration', label: 'Duration', value: (r) => r.durationMs, format: 'duration' },
          // A check takes no backup and no snapshots: its report gets their columns' room.
          { key: 'migrations', label: 'Migrations', span: (r) => (isCheckKind(r.kind) ? 3 : 1), cell: (r) => <RunSteps run={r} /> },
          { key: 'backup', label: 'Backup', className: 'mono backup-path', value: (r) => r.backupPath },
          {
            key: 'schema',
            label: 'Schema',
            cell: (r) =>
              r.snapshotBeforeId !== null && r.snapshotAfterId !== null ? (
                <Link className="nowrap" href={`/schema/snapshots?from=${r.snapshotBeforeId}&to=${r.snapshotAfterId}`}>
                  schema diff
                </Link>
              ) : (
                <span className="muted">–</span>
              ),
          },
        ]}
        footer={
          <Pager
            label="Pages of the history"
            links={[
              !!beforeId && { href: '/migrations#history', label: 'Newest runs' },
              runs.length === HISTORY_PAGE_SIZE && { href: `/migrations?before=${runs[runs.length - 1].id}#history`, label: 'Older runs' },
            ]}
          />
        }
      />
    </section>
  )
}
