'use client'

import { ProgressBar } from '@/components/progress-bar'
import { useLiveJson, useRefreshWhenWorkChanges } from '@/components/use-live-json'
import type { Json } from '@/lib/format/json-value'
import { formatMs, formatTimestamp } from '@/lib/format/units'
import type { IntegrityProgress } from '@/lib/integrity/progress'
import type { IntegrityRun } from '@/lib/integrity/run-store'
import { isRunning, RUN_STATUS_BADGE } from '@/lib/integrity/run-status'
import { RunControls } from './run-controls'

export const PROGRESS_URL = '/api/integrity/progress'
const POLL_MS = 1500

/** The run that is queued or running, if any, as the key of the page's active work. */
const activeRun = (p: Json<IntegrityProgress>) => (p.latest && isRunning(p.latest) ? String(p.latest.id) : '')

function Progress({ run }: { run: Json<IntegrityRun> }) {
  const total = run.checksTotal
  return (
    <ProgressBar label={`Run #${run.id}`} done={run.checksDone} total={total} testId="run-progress">
      {total > 0 ? `${run.checksDone} of ${total} checks` : 'planning…'}
      {total > 0 && run.currentCheck ? ` · now: ${run.currentCheck}` : ''}
      {run.cancelRequested ? ' · cancel requested, stops after this check' : ''}
    </ProgressBar>
  )
}

/**
 * The newest run's state and progress with the run and cancel buttons, polled while it runs; when
 * it ends the page is rendered again once so its findings and history appear.
 */
export function LiveRunHeader({ initial, database, canRun }: { initial: Json<IntegrityProgress>; database: string; canRun: boolean }) {
  const { data, error } = useLiveJson(PROGRESS_URL, initial, (d) => (d.latest && isRunning(d.latest) ? POLL_MS : false))
  const latest = data.latest
  const active = latest && isRunning(latest) ? latest : null
  // When it ends its findings and history appear.
  useRefreshWhenWorkChanges(activeRun(initial), activeRun(data))
  return (
    <div className="integrity-header-row">
      <div>
        <h2>Latest run</h2>
        {error ? (
          <div className="banner bad" role="alert">
            Live progress failed: {error.message} (showing the last answer).
          </div>
        ) : null}
        {latest ? (
          <div data-testid="latest-run" data-run-id={latest.id} data-status={latest.status}>
            <strong>#{latest.id}</strong> <span className={`badge ${RUN_STATUS_BADGE[latest.status]}`}>{latest.status}</span>{' '}
            <span className="muted">
              by {latest.startedBy} ({latest.trigger}){latest.dbRole ? ` as role ${latest.dbRole}` : ''}, {formatTimestamp(latest.startedAt)} · {formatMs(data.latestDurationMs)}
              {latest.status === 'succeeded' || latest.status === 'cancelled' ? ` · ${latest.problems} with a problem` : ''}
            </span>
            {latest.status === 'interrupted' ? (
              <div className="banner warn">
                The process running it ended before it finished (the server or the CLI stopped). Run the checks again.
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
      <RunControls canRun={canRun} active={active ? { id: active.id, cancelRequested: active.cancelRequested } : null} />
    </div>
  )
}
