import Link from 'next/link'
import { formatBytes, formatCount } from '@/lib/format/units'
import type { RelationInfo } from '@/lib/schema/types'
import { KIND_LABEL } from './kind-label'
import { tableHref } from '@/components/table-href'

const bytes = (n: number | null) => (n === null ? '–' : formatBytes(n))

export function TableHeader({
  relation,
  withKeys,
  withRelationships,
}: {
  relation: RelationInfo
  withKeys: boolean
  withRelationships: boolean
}) {
  const r = relation
  return (
    <>
      <p className="muted" style={{ marginBottom: 4 }}>
        <Link href="/schema">Schema</Link> › <Link href={`/schema?${new URLSearchParams({ schema: r.schema })}`}>{r.schema}</Link>
      </p>
      <h1 className="table-title" data-testid="table-title">
        <span className="muted">{r.schema}.</span>
        {r.name} <span className="badge muted">{KIND_LABEL[r.kind]}</span>
      </h1>
      {r.comment ? <p className="table-comment">{r.comment}</p> : null}
      {r.partitionOf ? (
        <p>
          Partition of{' '}
          <Link href={tableHref(r.partitionOf.schema, r.partitionOf.name)} className="mono">
            {r.partitionOf.schema}.{r.partitionOf.name}
          </Link>
        </p>
      ) : null}
      <div className="grid table-stats" data-testid="table-stats">
        <div className="card">
          <div className="stat-label">≈ Rows</div>
          <div className="stat">{r.rowEstimate === null ? '–' : formatCount(Math.round(r.rowEstimate))}</div>
          <div className="muted">
            {r.kind === 'view'
              ? 'a view stores no rows'
              : r.rowEstimate === null
                ? 'not analyzed yet'
                : "the planner's estimate"}
          </div>
        </div>
        <div className="card">
          <div className="stat-label">Total size</div>
          <div className="stat">{bytes(r.totalBytes)}</div>
          <div className="muted">
            table {bytes(r.tableBytes)}, indexes {bytes(r.indexBytes)}
          </div>
        </div>
        <div className="card">
          <div className="stat-label">Owner</div>
          <div className="stat mono-stat">{r.owner}</div>
          <div className="muted">
            {r.columns.length} columns, {r.indexes.length} indexes
          </div>
        </div>
      </div>
      <nav className="section-nav" aria-label="Sections">
        {[
          ['columns', 'Columns'],
          ...(withKeys ? [['keys', 'Keys']] : []),
          ...(withRelationships ? [['foreign-keys', 'Foreign keys']] : []),
          ['indexes', 'Indexes'],
          ['triggers', 'Triggers'],
          ...(withRelationships
            ? [
                ['relationships', 'Relationships'],
                ['delete-impact', 'Delete impact'],
              ]
            : []),
          ['ddl', 'DDL'],
          ['data', 'Data'],
        ].map(([id, label]) => (
          <a key={id} href={`#${id}`}>
            {label}
          </a>
        ))}
      </nav>
    </>
  )
}
