import Link from 'next/link'
import { WidgetError } from '@/components/widget-error'
import { targetDb } from '@/lib/db/server-dbs'
import { formatBytes, formatCount } from '@/lib/format/units'
import { listRelations, type RelationListItem } from '@/lib/schema/relation-list'
import { KIND_LABEL } from './kind-label'
import { listHref, type ListParams, PAGE_SIZE } from './list-params'
import { tableHref } from './table-href'

/** One page of the relation list, filtered and paged in PostgreSQL. */
export async function RelationTable({ params }: { params: ListParams }) {
  const page = params.page ?? 1
  let result: { total: number; items: RelationListItem[] }
  try {
    result = await listRelations(targetDb(), {
      q: params.q,
      schema: params.schema,
      includeSystem: !!params.system,
      sort: params.sort,
      offset: (page - 1) * PAGE_SIZE,
      limit: PAGE_SIZE,
    })
  } catch (e) {
    return <WidgetError title="Relations" error={e} />
  }
  const { total, items } = result
  const first = (page - 1) * PAGE_SIZE + 1
  const last = (page - 1) * PAGE_SIZE + items.length
  const lastPage = Math.max(1, Math.ceil(total / PAGE_SIZE))
  const showMatches = !!params.q?.trim() && items.some((i) => i.matchedColumns.length > 0)

  if (total === 0) {
    return (
      <div className="card" data-testid="relations-empty">
        <p className="muted" style={{ margin: 0 }}>
          No tables or views match{params.q ? <> “{params.q}”</> : null}
          {params.schema ? <> in schema “{params.schema}”</> : null}.
        </p>
      </div>
    )
  }
  if (items.length === 0) {
    return (
      <div className="card">
        <p className="muted" style={{ margin: 0 }}>
          Page {page} is past the end: {formatCount(total)} relations match.{' '}
          <Link href={listHref(params, 1)}>First page</Link>
        </p>
      </div>
    )
  }

  return (
    <>
      <table className="data" data-testid="relations-table">
        <thead>
          <tr>
            <th>Schema</th>
            <th>Name</th>
            <th>Kind</th>
            <th className="num">≈ Rows</th>
            <th className="num">Total size</th>
            <th className="num">Columns</th>
            {showMatches ? <th>Matched columns</th> : null}
          </tr>
        </thead>
        <tbody>
          {items.map((r) => (
            <tr key={JSON.stringify([r.schema, r.name])}>
              <td className="name-cell">{r.schema}</td>
              <td className="name-cell">
                <Link href={tableHref(r.schema, r.name)} className="mono">
                  {r.name}
                </Link>
              </td>
              <td>
                <span className={`badge ${r.kind === 'table' ? 'muted' : ''}`}>{KIND_LABEL[r.kind]}</span>
              </td>
              <td className="num">{r.rowEstimate === null ? '–' : formatCount(Math.round(r.rowEstimate))}</td>
              <td className="num">{r.totalBytes === null ? '–' : formatBytes(r.totalBytes)}</td>
              <td className="num">{r.columnCount}</td>
              {showMatches ? (
                <td data-testid="matched-columns">
                  {r.matchedColumns.map((c) => (
                    <span key={c} className="chip mono">
                      {c}
                    </span>
                  ))}
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
      <nav className="pager" aria-label="Pages of relations">
        <span className="muted" data-testid="relations-count">
          {formatCount(first)}–{formatCount(last)} of {formatCount(total)} relations
        </span>
        {page > 1 ? <Link href={listHref(params, Math.min(page - 1, lastPage))}>Previous</Link> : null}
        {page < lastPage ? <Link href={listHref(params, page + 1)}>Next</Link> : null}
      </nav>
    </>
  )
}
