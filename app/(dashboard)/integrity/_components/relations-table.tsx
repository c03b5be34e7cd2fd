import Link from 'next/link'
import type { Finding } from '@/lib/integrity/findings'
import { relationQuery } from '@/lib/integrity/orphan-csv'
import { describeRelation } from '@/lib/integrity/types'
import { type TrendPoint, Sparkline } from './charts'
import { AdviceAndError, CountBadge } from './finding-parts'

const SOURCE_TITLE: Record<string, string> = {
  foreign_key: 'A FOREIGN KEY constraint',
  soft: 'A soft relation: a reference the dashboard checks although no constraint enforces it',
  suggested: 'Suggested by naming (a <table>_id column); accept or dismiss it below',
}

/** The relation a finding is about, as the relation page and the CSV download name it. */
export function relationOf(f: Finding) {
  return {
    schema: f.schema ?? '',
    table: f.table ?? '',
    columns: f.columns,
    refSchema: f.refSchema ?? '',
    refTable: f.refTable ?? '',
    refColumns: f.refColumns,
  }
}

function RelationName({ f }: { f: Finding }) {
  return (
    <span className="mono relation-name">
      {f.schema}.<strong>{f.table}</strong>({f.columns.join(', ')}) → {f.refSchema}.<strong>{f.refTable}</strong>(
      {f.refColumns.join(', ')})
    </span>
  )
}

/** One row per checked relation: orphans, where the relation comes from, and what to do next. */
export function RelationsTable({
  findings,
  trends,
  canFix,
}: {
  findings: Finding[]
  trends: Map<string, TrendPoint[]>
  canFix: boolean
}) {
  // The caller orders them: problems first, then the run's order (foreign keys, soft relations, suggestions).
  const rows = findings
  return (
    <table className="data integrity-relations" data-testid="relations-table">
      <thead>
        <tr>
          <th>Orphans</th>
          <th>Relation</th>
          <th>Source</th>
          <th>Trend</th>
          <th>Rows</th>
        </tr>
      </thead>
      <tbody>
        {rows.length === 0 ? (
          <tr>
            <td colSpan={5} className="muted">
              No foreign keys, soft relations or suggestions to check.
            </td>
          </tr>
        ) : null}
        {rows.map((f) => {
          const rel = relationOf(f)
          const q = relationQuery(rel)
          const notValid = f.source === 'foreign_key' && f.detail?.validated === false
          return (
            <tr key={f.key} data-relation={describeRelation(rel)} data-source={f.source}>
              <td className="num">
                <CountBadge finding={f} />
              </td>
              <td>
                <RelationName f={f} />
                {f.source === 'foreign_key' && typeof f.detail?.relation === 'string' ? (
                  <div className="muted mono small">{f.detail.relation}</div>
                ) : null}
                <AdviceAndError finding={f} />
              </td>
              <td className="nowrap">
                <span className={`badge source-${f.source ?? 'unknown'}`} title={SOURCE_TITLE[f.source ?? ''] ?? undefined} data-testid="relation-source">
                  {f.source === 'foreign_key' ? 'foreign key' : (f.source ?? '?')}
                </span>
                {notValid ? (
                  <>
                    {' '}
                    <span className="badge warn" title="Added NOT VALID and never validated: existing rows were not checked">
                      NOT VALID
                    </span>
                  </>
                ) : null}
              </td>
              <td>
                <Sparkline points={trends.get(f.key) ?? []} />
              </td>
              <td>
                {(f.count ?? 0) > 0 ? (
                  <div className="relation-actions">
                    <Link href={`/integrity/relation?${q}`}>samples</Link>
                    <a href={`/api/integrity/orphans.csv?${q}`} download>
                      Download CSV
                    </a>
                    {canFix ? (
                      <Link href={`/integrity/relation?${q}#fix`} className="button small">
                        Fix…
                      </Link>
                    ) : null}
                  </div>
                ) : (
                  <span className="muted">–</span>
                )}
              </td>
            </tr>
          )
        })}
      </tbody>
    </table>
  )
}
