import { SqlBlock } from '@/components/sql-block'
import { describeChange } from '@/lib/migrations/bookkeeping'
import { parseRunOutputReport, type RunOutputReport } from '@/lib/migrations/run-output-report'
import type { MigrationRun } from '@/lib/migrations/run-store'

/** Kinds whose report holds Alembic's output or a baseline's differences. */
export function hasRunOutput(kind: MigrationRun['kind']): boolean {
  return kind === 'baseline' || kind.startsWith('alembic_')
}

/**
 * What an Alembic run printed (its SQL for a dry run), or the differences a baseline accepted or
 * was refused for: kept in the run's report, shown folded in the history.
 */
export function RunOutput({ run }: { run: MigrationRun }) {
  let report: RunOutputReport
  try {
    report = parseRunOutputReport(run.kind, run.report)
  } catch (e) {
    return <span className="muted" data-testid="run-output-error">{e instanceof Error ? e.message : String(e)}</span>
  }
  const { differences } = report
  return (
    <>
      {run.kind === 'baseline' && differences.length ? (
        <details className="check-report">
          <summary>
            {differences.length} difference{differences.length === 1 ? '' : 's'} from the live schema
            {run.status === 'succeeded' ? ' (accepted)' : ''}
          </summary>
          <ul className="plain">
            {differences.map((c, i) => (
              <li key={i} className="mono small">
                {describeChange(c)}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      {report.sql ? (
        <details className="check-report">
          <summary>SQL</summary>
          <SqlBlock sql={report.sql} label={`SQL of run ${run.id}`} wrap />
        </details>
      ) : null}
      {report.output ? (
        <details className="check-report">
          <summary>Alembic output</summary>
          <pre className="run-error">{report.output}</pre>
        </details>
      ) : null}
    </>
  )
}
