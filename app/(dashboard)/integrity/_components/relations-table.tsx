import Link from 'next/link'
import { DataTable } from '@/components/data-table'
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
  return (
    <DataTable
      label="Relations checked for orphans"
      testId="relations-table"
      className="integrity-relations"
      rows={findings}
      rowKey={(f) => f.key}
      rowProps={(f) => ({ 'data-relation': describeRelation(relationOf(f)), 'data-source': f.source })}
      empty="No foreign keys, soft relations or suggestions to check. Add a soft relation below for references no FOREIGN KEY enforces."
      columns={[
        { key: 'orphans', label: 'Orphans', align: 'end', cell: (f) => <CountBadge finding={f} /> },
        {
          key: 'relation',
          label: 'Relation',
          cell: (f) => (
            <>
              <RelationName f={f} />
              {f.source === 'foreign_key' && typeof f.detail?.relation === 'string' ? <div className="muted mono small">{f.detail.relation}</div> : null}
              <AdviceAndError finding={f} />
            </>
          ),
        },
        { key: 'source', label: 'Source', nowrap: true, cell: (f) => <Source f={f} /> },
        { key: 'trend', label: 'Trend', cell: (f) => <Sparkline points={trends.get(f.key) ?? []} /> },
        { key: 'rows', label: 'Rows', cell: (f) => <RowLinks f={f} canFix={canFix} /> },
      ]}
    />
  )
}

function Source({ f }: { f: Finding }) {
  const notValid = f.source === 'foreign_key' && f.detail?.validated === false
  return (
    <>
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
    </>
  )
}

/** Samples, the CSV and the fix of a relation with orphans. */
function RowLinks({ f, canFix }: { f: Finding; canFix: boolean }) {
  if ((f.count ?? 0) <= 0) return <span className="muted">–</span>
  const q = relationQuery(relationOf(f))
  return (
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
  )
}
