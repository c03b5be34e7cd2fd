import Link from 'next/link'
import { DataTable } from '@/components/data-table'
import { WidgetError } from '@/components/widget-error'
import type { IntegrityRun } from '@/lib/integrity/run-store'
import { runDurationMs } from '@/lib/integrity/run-status'
import { HISTORY_SIZE, isFinished, loadRuns, loadTargetDatabase, RUN_STATUS_BADGE } from './integrity-data'

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
      <DataTable
        label="Integrity run history"
        testId="integrity-history"
        rows={runs}
        rowKey={(r) => r.id}
        rowProps={(r) => ({ 'data-run-id': r.id, 'data-status': r.status, 'aria-current': r.id === current ? 'true' : undefined })}
        empty="No runs yet. Operators and admins start one with Run all checks; one also runs on a schedule."
        columns={[
          { key: 'id', label: '#', value: (r) => r.id },
          { key: 'trigger', label: 'Trigger', value: (r) => r.trigger },
          {
            key: 'who',
            label: 'Who',
            cell: (r) => (
              <>
                {r.startedBy}
                {r.dbRole ? <div className="muted small">as role {r.dbRole}</div> : null}
              </>
            ),
          },
          { key: 'when', label: 'When', value: (r) => r.startedAt, format: 'timestamp' },
          { key: 'status', label: 'Status', cell: (r) => <span className={`badge ${RUN_STATUS_BADGE[r.status]}`}>{r.status}</span> },
          { key: 'problems', label: 'Problems', value: (r) => (isFinished(r) ? r.problems : null), format: 'count' },
          { key: 'duration', label: 'Duration', value: (r) => runDurationMs(r, Date.now()), format: 'duration' },
          {
            key: 'findings',
            label: 'Findings',
            cell: (r) => (r.id === current ? <span className="muted">shown above</span> : <Link href={`/integrity?run=${r.id}`}>view findings</Link>),
          },
        ]}
      />
    </section>
  )
}
