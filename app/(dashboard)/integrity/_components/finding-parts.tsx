import { SqlBlock } from '@/components/sql-block'
import type { Finding } from '@/lib/integrity/findings'
import { formatCount } from '@/lib/format/units'

/** The count of a finding: green "ok" at 0, red with the number above, "error" when it could not run. */
export function CountBadge({ finding }: { finding: Finding }) {
  if (finding.error || finding.count === null) {
    return (
      <span className="badge bad" data-testid="finding-count" title="The check could not run">
        error
      </span>
    )
  }
  if (finding.count === 0) {
    return (
      <span className="badge ok" data-testid="finding-count">
        ok
      </span>
    )
  }
  return (
    <span className="badge bad" data-testid="finding-count">
      {formatCount(finding.count)}
    </span>
  )
}

/** Where a finding is: schema.table(columns), or the schema alone. */
export function findingWhere(f: Finding): string | null {
  if (!f.schema) return null
  if (!f.table) return f.schema
  return `${f.schema}.${f.table}${f.columns.length ? `(${f.columns.join(', ')})` : ''}`
}

const MAX_CHIPS = 24

/** Offending values as chips; for enum-like columns with rows per value and a mark on case-only ones. */
export function ValueChips({ finding }: { finding: Finding }) {
  const values = finding.values ?? []
  if (values.length === 0) return null
  const perValue = (finding.detail?.perValue ?? {}) as Record<string, number>
  const caseOnly = new Set((finding.detail?.caseOnly ?? []) as string[])
  return (
    <div className="finding-values" data-testid="finding-values">
      {values.slice(0, MAX_CHIPS).map((v) => (
        <span key={v} className={`chip mono${caseOnly.has(v) ? ' case-only' : ''}`} title={caseOnly.has(v) ? 'Differs from a label only by case' : undefined}>
          {v}
          {perValue[v] !== undefined ? <span className="muted"> ×{formatCount(perValue[v])}</span> : null}
          {caseOnly.has(v) ? <span className="chip-note"> case only</span> : null}
        </span>
      ))}
      {values.length > MAX_CHIPS ? <span className="muted">and {formatCount(values.length - MAX_CHIPS)} more</span> : null}
    </div>
  )
}

/** The advice (when something is wrong) and the error (when the check could not run). */
export function AdviceAndError({ finding }: { finding: Finding }) {
  return (
    <>
      {finding.advice && (finding.count ?? 0) > 0 ? <div className="finding-advice">{finding.advice}</div> : null}
      {finding.sql && (finding.count ?? 0) > 0 ? <SqlBlock sql={finding.sql} label={`SQL for ${finding.title}`} testId="advice-sql" wrap /> : null}
      {finding.note ? (
        <div className="muted small" data-testid="finding-note">
          {finding.note}
        </div>
      ) : null}
      {finding.error ? (
        <div className="finding-error" role="note">
          The check could not run: {finding.error}
        </div>
      ) : null}
    </>
  )
}
