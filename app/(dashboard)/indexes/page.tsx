import { DataTable, Pager, type SortDirection } from '@/components/data-table'
import { MaintenanceJobs } from '@/components/maintenance-jobs'
import { requireUser } from '@/lib/auth/current-user'
import { can } from '@/lib/auth/permissions'
import { targetDb } from '@/lib/db/server-dbs'
import { serverMaintenanceJobs } from '@/lib/performance/server-maintenance-jobs'
import { toJson } from '@/lib/format/json-value'
import { formatTimestamp } from '@/lib/format/units'
import { defaultIndexDirection, INDEX_SORTS, type IndexSort, readIndexesPage } from '@/lib/performance/indexes-page'
import { IndexFindingCard } from './_components/index-finding'

const PAGE_SIZE = 100

type Search = { sort?: string; dir?: string; q?: string; page?: string }

export default async function IndexesPage({ searchParams }: { searchParams: Promise<Search> }) {
  const user = await requireUser()
  const sp = await searchParams
  const sort: IndexSort = (INDEX_SORTS as readonly string[]).includes(sp.sort ?? '') ? (sp.sort as IndexSort) : 'name'
  const direction: SortDirection = sp.dir === 'asc' || sp.dir === 'desc' ? sp.dir : defaultIndexDirection(sort)
  const search = sp.q?.trim().slice(0, 200) || undefined
  const page = /^\d{1,6}$/.test(sp.page ?? '') ? Math.max(1, Number(sp.page)) : 1
  const [findings, jobs] = await Promise.all([
    readIndexesPage(targetDb(), { sort, direction, search, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE }),
    serverMaintenanceJobs(user.role),
  ])
  const href = (over: Partial<Search>) => {
    const p = new URLSearchParams()
    for (const [k, v] of Object.entries({ sort, dir: direction, q: search, page: String(page), ...over })) if (v) p.set(k, v)
    return `/indexes?${p}`
  }
  const canRun = can(user.role, 'maintenance.run')
  return (
    <>
      <h1>Indexes</h1>
      <p className="muted">
        Usage counts since the statistics were reset{findings.statsResetAt ? ` on ${formatTimestamp(findings.statsResetAt)}` : ' (never reset since the server started collecting)'}.
        Unused means no scan since then: a reset not long ago makes every index look unused.
      </p>
      <h2>Findings</h2>
      {findings.findings.length === 0 ? <p className="muted">No unused, duplicate, redundant, invalid or missing indexes found.</p> : null}
      {findings.findings.map((f, i) => (
        <IndexFindingCard key={`${f.kind}:${f.schema}:${f.table}:${f.index ?? i}`} f={f} canRun={canRun} />
      ))}
      <MaintenanceJobs initial={toJson({ jobs })} canCancel={canRun} />
      <div className="card">
        <h2>All indexes</h2>
        <form className="filter-form" method="get" action="/indexes">
          <input type="hidden" name="sort" value={sort} />
          <input type="hidden" name="dir" value={direction} />
          <label>
            Index or table contains <input name="q" defaultValue={search ?? ''} maxLength={200} />
          </label>
          <button type="submit">Filter</button>
        </form>
        <DataTable
          label="Indexes"
          testId="indexes"
          rows={findings.indexes}
          rowKey={(ix) => ix.oid}
          empty={search ? 'No index matches the filter.' : 'This database has no indexes outside the system schemas.'}
          sort={{ key: sort, direction, href: (key, dir) => href({ sort: key, dir, page: '1' }) }}
          columns={[
            { key: 'name', label: 'Index', value: (ix) => ix.qualifiedName, mono: true, sortable: true },
            { key: 'table', label: 'Table', value: (ix) => ix.qualifiedTable, mono: true, sortable: true },
            { key: 'def', label: 'Definition', cell: (ix) => <code className="query-text">{ix.definition}</code> },
            { key: 'scans', label: 'Scans', value: (ix) => ix.scans, format: 'count', sortable: true, firstDirection: 'desc' },
            { key: 'read', label: 'Tuples read', value: (ix) => ix.tuplesRead, format: 'count', sortable: true, firstDirection: 'desc' },
            { key: 'fetched', label: 'Tuples fetched', value: (ix) => ix.tuplesFetched, format: 'count', sortable: true, firstDirection: 'desc' },
            { key: 'size', label: 'Size', value: (ix) => ix.sizeBytes, format: 'bytes', sortable: true, firstDirection: 'desc' },
            { key: 'flags', label: '', cell: (ix) => <>{ix.constraint ? <span className="badge muted">{ix.constraint.type}</span> : null}{!ix.valid ? <span className="badge bad">invalid</span> : null}</> },
          ]}
          footer={
            <Pager
              label="Index pages"
              summary={<span className="muted">{findings.matched === findings.total ? `${findings.total} indexes` : `${findings.matched} of ${findings.total} indexes match`}</span>}
              links={[
                page > 1 && { href: href({ page: String(page - 1) }), label: 'Previous' },
                page * PAGE_SIZE < findings.matched && { href: href({ page: String(page + 1) }), label: 'Next' },
              ]}
            />
          }
        />
      </div>
    </>
  )
}
