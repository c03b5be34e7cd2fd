import Link from 'next/link'
import { WidgetError } from '@/components/widget-error'
import { can } from '@/lib/auth/permissions'
import type { AppUser } from '@/lib/auth/users'
import { hideRowValuesInErrors } from '@/lib/db/db-errors'
import { stateDb } from '@/lib/db/server-dbs'
import { formatTimestamp } from '@/lib/format/units'
import { listRuns, type MigrationRun } from '@/lib/migrations/run-store'
import { isCheckKind, StoredCheckReport } from './check-reports'
import { formatMs } from './format-ms'
import { loadLockHeld, loadTarget } from './migrations-data'

export const HISTORY_PAGE_SIZE = 20

const KIND_LABEL: Record<MigrationRun['kind'], string> = {
  apply: 'apply',
  rollback: 'rollback',
  dry_run: 'dry run',
  rehearsal: 'rollback test',
  drift: 'drift check',
  replay: 'replay check',
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
      {run.steps.length === 0 && !check ? <span className="muted">no migration ran</span> : null}
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
      <div className="migrations-scroll">
        <table className="data" data-testid="run-history">
          <thead>
            <tr>
              <th>#</th>
              <th>Kind</th>
              <th>Status</th>
              <th>Who</th>
              <th>When</th>
              <th className="num">Duration</th>
              <th>Migrations</th>
              <th>Backup</th>
              <th>Schema</th>
            </tr>
          </thead>
          <tbody>
            {runs.length === 0 ? (
              <tr>
                <td colSpan={9} className="muted">
                  {beforeId ? 'No older runs.' : 'No migration runs yet.'}
                </td>
              </tr>
            ) : null}
            {runs.map((r) => (
              <tr key={r.id} data-run-id={r.id} data-kind={r.kind} data-status={r.status}>
                <td>{r.id}</td>
                <td className="nowrap">{KIND_LABEL[r.kind] ?? r.kind}</td>
                <td>
                  <span className={`badge ${STATUS_BADGE[r.status]}`}>{r.status}</span>
                </td>
                <td>
                  {r.startedBy} <span className="badge muted">{r.source}</span>
                  {r.dbRole ? <div className="muted small" data-testid="run-db-role">as role {r.dbRole}</div> : null}
                </td>
                <td className="muted when">{formatTimestamp(r.startedAt)}</td>
                <td className="num">{formatMs(r.durationMs)}</td>
                {isCheckKind(r.kind) ? (
                  // A check takes no backup and no snapshots: its report gets their columns' room.
                  <td colSpan={3} className="check-report-cell">
                    <RunSteps run={r} />
                  </td>
                ) : (
                  <>
                    <td>
                      <RunSteps run={r} />
                    </td>
                    <td className="mono backup-path">{r.backupPath ?? <span className="muted">–</span>}</td>
                    <td>
                      {r.snapshotBeforeId !== null && r.snapshotAfterId !== null ? (
                        <Link className="nowrap" href={`/schema/snapshots?from=${r.snapshotBeforeId}&to=${r.snapshotAfterId}`}>
                          schema diff
                        </Link>
                      ) : (
                        <span className="muted">–</span>
                      )}
                    </td>
                  </>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="pager">
        {beforeId ? <Link href="/migrations#history">Newest runs</Link> : null}
        {runs.length === HISTORY_PAGE_SIZE ? (
          <Link href={`/migrations?before=${runs[runs.length - 1].id}#history`}>Older runs</Link>
        ) : null}
      </div>
    </section>
  )
}
