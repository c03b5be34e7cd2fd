import { ProgressBar } from '@/components/progress-bar'
import { WidgetError } from '@/components/widget-error'
import type { AppUser } from '@/lib/auth/users'
import { can } from '@/lib/auth/permissions'
import { hideRowValuesInErrors } from '@/lib/db/db-errors'
import { formatMs, formatTimestamp } from '@/lib/format/units'
import type { IntegrityRun } from '@/lib/integrity/run-store'
import { isActive, loadRuns, loadTargetDatabase, RUN_STATUS_BADGE, runDurationMs } from './integrity-data'
import { RunControls } from './run-controls'

function Progress({ run }: { run: IntegrityRun }) {
  const total = run.checksTotal
  return (
    <ProgressBar label={`Run #${run.id}`} done={run.checksDone} total={total} testId="run-progress">
      {total > 0 ? `${run.checksDone} of ${total} checks` : 'planning…'}
      {total > 0 && run.currentCheck ? ` · now: ${run.currentCheck}` : ''}
      {run.cancelRequested ? ' · cancel requested, stops after this check' : ''}
    </ProgressBar>
  )
}

/** The newest run on this database: its state and progress, and the run and cancel buttons. */
export async function RunHeader({ user }: { user: AppUser }) {
  let runs: IntegrityRun[]
  let database: string
  try {
    database = await loadTargetDatabase()
    runs = await loadRuns()
  } catch (e) {
    return <WidgetError title="Integrity runs" error={e} />
  }
  if (!can(user.role, 'data.reveal')) runs = hideRowValuesInErrors(runs)
  const latest = runs[0] ?? null
  const active = latest && isActive(latest) ? latest : null
  return (
    <div className="card integrity-header">
      <div className="integrity-header-row">
        <div>
          <h2>Latest run</h2>
          {latest ? (
            <div data-testid="latest-run" data-run-id={latest.id} data-status={latest.status}>
              <strong>#{latest.id}</strong> <span className={`badge ${RUN_STATUS_BADGE[latest.status]}`}>{latest.status}</span>{' '}
              <span className="muted">
                by {latest.startedBy} ({latest.trigger}){latest.dbRole ? ` as role ${latest.dbRole}` : ''}, {formatTimestamp(latest.startedAt)} · {formatMs(runDurationMs(latest))}
                {latest.status === 'succeeded' || latest.status === 'cancelled' ? ` · ${latest.problems} with a problem` : ''}
              </span>
              {latest.status === 'interrupted' ? (
                <div className="banner warn">
                  The process running it ended before it finished (the server or the CLI stopped). Run the checks
                  again.
                </div>
              ) : null}
              {latest.status === 'failed' && latest.error ? <div className="banner bad">{latest.error}</div> : null}
              {active ? <Progress run={active} /> : null}
            </div>
          ) : (
            <p className="muted" data-testid="latest-run" data-status="none">
              No integrity run on <span className="mono">{database}</span> yet.
            </p>
          )}
        </div>
        <RunControls
          canRun={can(user.role, 'checks.run')}
          active={active ? { id: active.id, cancelRequested: active.cancelRequested } : null}
        />
      </div>
    </div>
  )
}
