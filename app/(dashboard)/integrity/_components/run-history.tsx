import Link from 'next/link'
import { WidgetError } from '@/components/widget-error'
import { formatTimestamp } from '@/lib/format/units'
import type { IntegrityRun } from '@/lib/integrity/run-store'
import { formatMs, HISTORY_SIZE, isFinished, loadRuns, loadTargetDatabase, RUN_STATUS_BADGE, runDurationMs } from './integrity-data'

/** The last runs on this database, newest first, each linking to its findings. */
export async function RunHistory({ shownRun }: { shownRun: number | null }) {
  let runs: IntegrityRun[]
  let database: string
  try {
    database = await loadTargetDatabase()
    runs = await loadRuns()
  } catch (e) {
    return <WidgetError title="Run history" error={e} />
  }
  const latestFinished = runs.find(isFinished)?.id ?? null
  const current = shownRun ?? latestFinished
  return (
    <section className="card integrity-section" id="history" aria-labelledby="integrity-history-title">
      <h2 id="integrity-history-title">Run history</h2>
      <p className="muted">
        The last {HISTORY_SIZE} integrity runs on <span className="mono">{database}</span>, from this dashboard or the CLI.
      </p>
      <table className="data" data-testid="integrity-history">
        <thead>
          <tr>
            <th>#</th>
            <th>Trigger</th>
            <th>Who</th>
            <th>When</th>
            <th>Status</th>
            <th className="num">Problems</th>
            <th className="num">Duration</th>
            <th>Findings</th>
          </tr>
        </thead>
        <tbody>
          {runs.length === 0 ? (
            <tr>
              <td colSpan={8} className="muted">
                No runs yet.
              </td>
            </tr>
          ) : null}
          {runs.map((r) => (
            <tr key={r.id} data-run-id={r.id} data-status={r.status} aria-current={r.id === current ? 'true' : undefined}>
              <td>{r.id}</td>
              <td>{r.trigger}</td>
              <td>
                {r.startedBy}
                {r.dbRole ? <div className="muted small">as role {r.dbRole}</div> : null}
              </td>
              <td className="muted nowrap">{formatTimestamp(r.startedAt)}</td>
              <td>
                <span className={`badge ${RUN_STATUS_BADGE[r.status]}`}>{r.status}</span>
              </td>
              <td className="num">{isFinished(r) ? r.problems : '–'}</td>
              <td className="num">{formatMs(runDurationMs(r))}</td>
              <td>
                {r.id === current ? (
                  <span className="muted">shown above</span>
                ) : (
                  <Link href={`/integrity?run=${r.id}`}>view findings</Link>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}
