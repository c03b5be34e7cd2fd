import { DataTable } from '@/components/data-table'
import type { PrivilegeGrid, PrivilegeRow } from '@/lib/security/privileges'
import { PRIVILEGE_LETTERS, privilegeLetters, privilegeWords } from './privilege-letters'

/** A role × object grid: one row per object, one column per role that holds anything on a shown object. */
export function PrivilegeGridTable({ grid, label, testId, empty, footer }: { grid: PrivilegeGrid; label: string; testId: string; empty: string; footer?: React.ReactNode }) {
  return (
    <DataTable<PrivilegeRow>
      label={label}
      testId={testId}
      className="privilege-grid"
      rows={grid.rows}
      rowKey={(r) => `${r.kind}\u0000${r.schema}\u0000${r.name}`}
      rowProps={(r) => ({ 'data-object': r.kind === 'schema' ? r.name : `${r.schema}.${r.name}` })}
      empty={empty}
      columns={[
        { key: 'object', label: 'Object', mono: true, value: (r) => (r.kind === 'schema' ? r.name : `${r.schema}.${r.name}`) },
        { key: 'kind', label: 'Kind', value: (r) => r.kind, nowrap: true },
        { key: 'owner', label: 'Owner', mono: true, value: (r) => r.owner },
        ...grid.grantees.map((g) => ({
          key: `grantee:${g}`,
          label: g,
          mono: true,
          headerProps: { 'data-grantee': g },
          cell: (r: PrivilegeRow) => {
            const held = r.grants[g]
            if (!held?.length) return <span className="muted">–</span>
            const words = privilegeWords(held)
            return (
              <abbr title={words} className={g === 'PUBLIC' ? 'public-grant' : undefined}>
                {privilegeLetters(held)}
              </abbr>
            )
          },
        })),
      ]}
      footer={footer}
    />
  )
}

export function PrivilegeLegend() {
  return (
    <p className="muted privilege-legend">
      Letters as in psql’s <code>\dp</code>:{' '}
      {Object.entries(PRIVILEGE_LETTERS)
        .map(([word, letter]) => `${letter} ${word}`)
        .join(', ')}
      ; <code>*</code> after a letter: may grant it to others. An object without grants of its own has PostgreSQL’s default: everything for its
      owner.
    </p>
  )
}
