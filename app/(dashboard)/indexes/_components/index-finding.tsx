import { RunMaintenanceButton } from '@/components/run-maintenance-button'
import { SqlBlock } from '@/components/sql-block'
import { ThresholdNote } from '@/components/threshold-note'
import type { IndexAction, IndexFinding } from '@/lib/performance/index-findings'
import type { MaintenanceTask } from '@/lib/performance/maintenance'
import { THRESHOLDS } from '@/lib/performance/thresholds'

const KIND_LABEL = { unused: 'Unused', duplicate: 'Duplicate', redundant: 'Redundant', invalid: 'Invalid', missing: 'Missing index?' } as const

function taskOf(a: IndexAction): MaintenanceTask {
  return a.kind === 'reindex-index' ? { kind: 'reindex', target: 'index', schema: a.schema, name: a.name } : a
}

/** One finding with its advice, the thresholds it was judged by, its SQL and (for operators) a Run button. */
export function IndexFindingCard({ f, canRun }: { f: IndexFinding; canRun: boolean }) {
  return (
    <div className="card" data-testid="index-finding" data-kind={f.kind} data-index={f.index ?? ''}>
      <h3>
        <span className={`badge ${f.kind === 'missing' ? 'warn' : 'bad'}`}>{KIND_LABEL[f.kind]}</span> {f.title}
      </h3>
      <p>{f.advice}</p>
      {f.thresholds.map((t) => (
        <ThresholdNote key={t} threshold={THRESHOLDS[t]} />
      ))}
      {f.sql ? <SqlBlock label={`SQL for ${f.title}`} sql={f.sql} wrap compact /> : null}
      {canRun && f.action ? (
        <RunMaintenanceButton
          task={taskOf(f.action)}
          label={`Run as a job`}
          confirmText={`Run ${f.sql ?? 'this statement'} on the database now?`}
          testId="run-finding"
        />
      ) : null}
    </div>
  )
}
