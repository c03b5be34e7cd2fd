import { CopyButton } from '@/components/copy-button'
import { SqlBlock } from '@/components/sql-block'
import type { SecurityFinding, Severity } from '@/lib/security/findings'

const SEVERITY_BADGE: Record<Severity, string> = { critical: 'bad', high: 'bad', medium: 'warn', low: 'muted' }

export function SeverityBadge({ severity }: { severity: Severity }) {
  return <span className={`badge ${SEVERITY_BADGE[severity]}`}>{severity}</span>
}

/** Counts per severity, most severe first, for the page's summary line. */
export function severityCounts(findings: SecurityFinding[]): [Severity, number][] {
  const order: Severity[] = ['critical', 'high', 'medium', 'low']
  return order.map((s) => [s, findings.filter((f) => f.severity === s).length] as [Severity, number]).filter(([, n]) => n > 0)
}

/** Each finding with why it matters and the SQL that removes it, to copy. */
export function FindingsList({ findings, notes }: { findings: SecurityFinding[]; notes: string[] }) {
  return (
    <>
      {notes.length > 0 ? (
        <div className="banner warn" data-testid="security-notes">
          <strong>Not covered by this report:</strong>
          <ul>
            {notes.map((n) => (
              <li key={n}>{n}</li>
            ))}
          </ul>
        </div>
      ) : null}
      {findings.length === 0 ? (
        <p className="card" data-testid="security-findings-empty">
          No risky setting was found in what this role could read.
        </p>
      ) : (
        <ul className="security-findings" data-testid="security-findings">
          {findings.map((f) => (
            <li key={f.key} className="card" data-check={f.check} data-severity={f.severity} data-subject={f.subject}>
              <div className="check-head">
                <h3>
                  <SeverityBadge severity={f.severity} /> {f.title}
                </h3>
              </div>
              <p>{f.why}</p>
              {f.fix ? <SqlBlock sql={f.fix} label={`fix for ${f.title}`} wrap compact /> : null}
              {f.fixNote ? <p className="finding-advice">{f.fixNote}</p> : null}
              {f.newPassword ? (
                <details className="new-password">
                  <summary>The new password this fix sets</summary>
                  <p>
                    Generated for this view of the page, and stored nowhere: give it to whatever logs in as the role before running the SQL. Loading the
                    page again makes another.
                  </p>
                  <code data-testid="new-password">{f.newPassword}</code> <CopyButton text={f.newPassword} label={`Copy the new password of ${f.subject}`} />
                </details>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </>
  )
}
