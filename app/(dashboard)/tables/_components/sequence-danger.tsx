import { SqlBlock } from '@/components/sql-block'
import { ThresholdNote } from '@/components/threshold-note'
import { formatCount } from '@/lib/format/units'
import type { SequenceReport } from '@/lib/performance/sequence-danger'
import { THRESHOLDS } from '@/lib/performance/thresholds'

const percent = (r: number) => `${(Math.floor(r * 1000) / 10).toFixed(1)} %`

/** pghero's sequence danger: sequences near the maximum of their type, each with the SQL to widen it. */
export function SequenceDanger({ report }: { report: SequenceReport }) {
  return (
    <div className="card" data-testid="sequence-danger">
      <h2>Sequences near their maximum</h2>
      <p className="muted small">
        {report.checked} sequence{report.checked === 1 ? '' : 's'} checked
        {report.fullest ? `; the fullest, ${report.fullest.qualifiedName}, has used ${percent(report.fullest.usedShare)} of its range` : ''}. Once a sequence reaches its
        maximum, nextval() fails and every insert that needs it stops.
        <ThresholdNote threshold={THRESHOLDS.sequenceUseShare} />
      </p>
      {report.hidden.length ? (
        <div className="banner warn" data-testid="sequence-hidden">
          This login cannot see the value of {report.hidden.length} sequence{report.hidden.length === 1 ? '' : 's'} ({report.hidden.slice(0, 5).join(', ')}
          {report.hidden.length > 5 ? ', …' : ''}): PostgreSQL shows a sequence&apos;s last value only to roles with USAGE or SELECT on it, so these are not checked. Grant
          it, e.g. <code>GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO …</code>, to check them.
        </div>
      ) : null}
      {report.danger.length === 0 ? (
        <p className="muted">No readable sequence has used {percent(THRESHOLDS.sequenceUseShare.value)} of its range.</p>
      ) : (
        <ul className="plain-list">
          {report.danger.map((s) => (
            <li key={s.qualifiedName} data-sequence={s.qualifiedName}>
              <span className="badge bad">{percent(s.usedShare ?? 0)} used</span> <span className="mono">{s.qualifiedName}</span> ({s.dataType}, last value{' '}
              {formatCount(s.lastValue ?? 0)} of {s.increment > 0 ? `maximum ${formatCount(s.maxValue)}` : `minimum ${formatCount(s.minValue)}`}
              {s.ownedBy ? `, feeds ${s.ownedBy.table}.${s.ownedBy.column}` : ''}): {s.advice}
              {s.sql ? <SqlBlock sql={s.sql} label={`Widen ${s.qualifiedName}`} wrap compact /> : null}
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}
