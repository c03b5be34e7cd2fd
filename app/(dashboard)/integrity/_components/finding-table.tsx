import { ActionForm } from '@/components/action-form'
import { DataTable } from '@/components/data-table'
import { SqlCode } from '@/components/sql-block'
import type { Finding } from '@/lib/integrity/findings'
import { validateConstraintAction } from '../constraint-actions'
import { type TrendPoint, Sparkline } from './charts'
import { RoleChart } from './role-chart'
import { AdviceAndError, CountBadge, findingWhere, ValueChips } from './finding-parts'

function ValidateControl({ finding, canValidate }: { finding: Finding; canValidate: boolean }) {
  if (finding.check !== 'not_valid_foreign_key' && finding.check !== 'not_valid_check') return null
  const constraint = typeof finding.detail?.constraint === 'string' ? finding.detail.constraint : null
  if (!constraint || !finding.schema || !finding.table) return null
  if (finding.detail?.canValidate !== true) {
    return <span className="muted small">Validate once no row violates it.</span>
  }
  if (!canValidate) return null
  return (
    <ActionForm
      action={validateConstraintAction}
      submitLabel="Validate"
      confirmText={`Validate ${constraint} on ${finding.schema}.${finding.table}? PostgreSQL reads every row of the table; writes to it wait only briefly (SHARE UPDATE EXCLUSIVE lock).`}
      testId="validate-constraint"
    >
      <input type="hidden" name="schema" value={finding.schema} />
      <input type="hidden" name="table" value={finding.table} />
      <input type="hidden" name="name" value={constraint} />
    </ActionForm>
  )
}

/** What a finding adds beside its values: the role chart, a CHECK's definition. */
function Extra({ finding }: { finding: Finding }) {
  if (finding.check === 'role_counts') {
    const counts = (finding.detail?.counts ?? []) as { role: string | null; users: number }[]
    return <RoleChart counts={counts} />
  }
  if (finding.check === 'not_valid_check' && typeof finding.detail?.definition === 'string') {
    return <SqlCode sql={finding.detail.definition} />
  }
  if (finding.check === 'enum_values' && typeof finding.detail?.enum === 'string') {
    return <div className="muted small">labels of {finding.detail.enum}</div>
  }
  if (finding.check === 'role_not_allowed' && Array.isArray(finding.detail?.allowed)) {
    return <div className="muted small">allowed: {(finding.detail.allowed as string[]).join(', ')}</div>
  }
  return null
}

/** The findings of one section, one row each: count, what was checked, values, advice, trend. */
export function FindingTable({
  findings,
  trends,
  canValidate,
  testId,
  label,
}: {
  label: string
  findings: Finding[]
  trends: Map<string, TrendPoint[]>
  canValidate: boolean
  testId: string
}) {
  return (
    <DataTable
      label={label}
      testId={testId}
      className="integrity-findings"
      rows={findings}
      rowKey={(f) => f.key}
      rowProps={(f) => ({ 'data-check': f.check })}
      empty="Nothing to check here."
      columns={[
        { key: 'count', label: 'Count', align: 'end', cell: (f) => <CountBadge finding={f} /> },
        {
          key: 'check',
          label: 'Check',
          className: 'finding-main',
          cell: (f) => {
            const where = findingWhere(f)
            return (
              <>
                <div className="finding-title">{f.title}</div>
                {where ? <div className="muted mono small">{where}</div> : null}
                <AdviceAndError finding={f} />
              </>
            )
          },
        },
        {
          key: 'values',
          label: 'Values',
          cell: (f) => (
            <>
              <ValueChips finding={f} />
              <Extra finding={f} />
            </>
          ),
        },
        { key: 'trend', label: 'Trend', cell: (f) => <Sparkline points={trends.get(f.key) ?? []} /> },
        { key: 'action', label: 'Action', cell: (f) => <ValidateControl finding={f} canValidate={canValidate} /> },
      ]}
    />
  )
}
