import Link from 'next/link'
import { DataTable, Pager } from '@/components/data-table'
import { WidgetError } from '@/components/widget-error'
import { targetDb } from '@/lib/db/server-dbs'
import { formatCount } from '@/lib/format/units'
import { listRelations, type RelationListItem } from '@/lib/schema/relation-list'
import { KIND_LABEL } from './kind-label'
import { firstDirection, listHref, type ListParams, PAGE_SIZE } from './list-params'
import { tableHref } from '@/components/table-href'

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
      dir: params.dir,
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

  const sortKey = params.sort ?? 'name'
  return (
    <DataTable
      label="Tables and views"
      testId="relations-table"
      rows={items}
      rowKey={(r) => JSON.stringify([r.schema, r.name])}
      rowHref={(r) => tableHref(r.schema, r.name)}
      linkColumn="name"
      empty="No relations on this page."
      sort={{
        key: sortKey,
        direction: params.dir ?? firstDirection(sortKey),
        href: (key, dir) => listHref({ ...params, sort: key as ListParams['sort'], dir }, 1),
      }}
      columns={[
        { key: 'schema', label: 'Schema', value: (r) => r.schema, className: 'name-cell' },
        { key: 'name', label: 'Name', value: (r) => r.name, mono: true, sortable: true },
        { key: 'kind', label: 'Kind', cell: (r) => <span className={`badge ${r.kind === 'table' ? 'muted' : ''}`}>{KIND_LABEL[r.kind]}</span> },
        { key: 'rows', label: '≈ Rows', value: (r) => (r.rowEstimate === null ? null : Math.round(r.rowEstimate)), format: 'count', sortable: true, firstDirection: 'desc' },
        { key: 'size', label: 'Total size', value: (r) => r.totalBytes, format: 'bytes', sortable: true, firstDirection: 'desc' },
        { key: 'columns', label: 'Columns', value: (r) => r.columnCount, format: 'count' },
        showMatches && {
          key: 'matched',
          label: 'Matched columns',
          cell: (r) => (
            <span data-testid="matched-columns">
              {r.matchedColumns.map((c) => (
                <span key={c} className="chip mono">
                  {c}
                </span>
              ))}
            </span>
          ),
        },
      ]}
      footer={
        <Pager
          label="Pages of relations"
          summary={
            <span className="muted" data-testid="relations-count">
              {formatCount(first)}–{formatCount(last)} of {formatCount(total)} relations
            </span>
          }
          links={[
            page > 1 && { href: listHref(params, Math.min(page - 1, lastPage)), label: 'Previous' },
            page < lastPage && { href: listHref(params, page + 1), label: 'Next' },
          ]}
        />
      }
    />
  )
}
