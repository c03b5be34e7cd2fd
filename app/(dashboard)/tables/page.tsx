import { DataTable, Pager, type SortDirection } from '@/components/data-table'
import { MaintenanceJobs } from '@/components/maintenance-jobs'
import { ThresholdNote } from '@/components/threshold-note'
import { requireUser } from '@/lib/auth/current-user'
import { can } from '@/lib/auth/permissions'
import { targetDb } from '@/lib/db/server-dbs'
import { serverMaintenanceJobs } from '@/lib/performance/server-maintenance-jobs'
import { toJson } from '@/lib/format/json-value'
import { formatTimestamp } from '@/lib/format/units'
import { readSequenceDanger } from '@/lib/performance/sequence-danger'
import { listTables, readCacheHitRatios, type TableStats } from '@/lib/performance/tables'
import { THRESHOLDS } from '@/lib/performance/thresholds'
import { CacheHit } from './_components/cache-hit'
import { SequenceDanger } from './_components/sequence-danger'
import { TableMaintenance } from './_components/table-maintenance'

const SORTS: Record<string, (t: TableStats) => number> = {
  size: (t) => t.totalBytes,
  dead: (t) => t.deadShare ?? -1,
  bloat: (t) => t.bloat?.bloatBytes ?? -1,
  writes: (t) => t.inserts + t.updates + t.deletes,
  seq: (t) => t.seqScans,
  xid: (t) => t.xidAge,
}

function pct(v: number | null | undefined): string | null {
  return v === null || v === undefined ? null : `${(v * 100).toFixed(1)} %`
}

function latest(a: string | Date | null, b: string | Date | null): Date | null {
  const t = [a, b].filter(Boolean).map((d) => new Date(d!))
  return t.length ? new Date(Math.max(...t.map((d) => d.getTime()))) : null
}

// A thousand rows with maintenance controls each made the HTML the slow part: pages of 100.
const PAGE_SIZE = 100

type Search = { sort?: string; dir?: string; q?: string; page?: string }

export default async function TablesPage({ searchParams }: { searchParams: Promise<Search> }) {
  const user = await requireUser()
  const sp = await searchParams
  const sort = sp.sort && SORTS[sp.sort] ? sp.sort : 'size'
  const dir: SortDirection = sp.dir === 'asc' ? 'asc' : 'desc'
  const search = sp.q?.trim().slice(0, 200) || undefined
  const page = /^\d{1,6}$/.test(sp.page ?? '') ? Math.max(1, Number(sp.page)) : 1
  const [report, cache, sequences, jobs] = await Promise.all([
    listTables(targetDb()),
    readCacheHitRatios(targetDb()),
    readSequenceDanger(targetDb()),
    serverMaintenanceJobs(user.role),
  ])
  const needle = search?.toLowerCase()
  const matching = needle ? report.tables.filter((t) => t.qualifiedTable.toLowerCase().includes(needle)) : report.tables
  const sorted = [...matching].sort((a, b) => (SORTS[sort](a) - SORTS[sort](b)) * (dir === 'asc' ? 1 : -1) || (a.qualifiedTable < b.qualifiedTable ? -1 : 1))
  const rows = sorted.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE)
  const href = (over: Partial<Search>) => {
    const p = new URLSearchParams()
    for (const [k, v] of Object.entries({ sort, dir, q: search, page: String(page), ...over })) if (v) p.set(k, v)
    return `/tables?${p}`
  }
  const canRun = can(user.role, 'maintenance.run')
  const warned = report.tables.filter((t) => t.warnings.length)
  return (
    <>
      <h1>Tables</h1>
      <p className="muted">
        Statistics since {report.statsResetAt ? formatTimestamp(report.statsResetAt) : 'the server began collecting'}; bloat is estimated from statistics (pghero&apos;s method), nothing is read
        from the tables, so it is off for tables never analysed.
        <ThresholdNote threshold={THRESHOLDS.deadTupleShare} />
        <ThresholdNote threshold={THRESHOLDS.bloatBytes} />
        <ThresholdNote threshold={THRESHOLDS.xidShutdownMargin} />
      </p>
      {report.limitations.map((l) => (
        <div className="banner warn" key={l}>
          {l}
        </div>
      ))}
      {warned.length ? (
        <div className="card" data-testid="table-warnings">
          <h2>Needs attention</h2>
          <ul>
            {warned.flatMap((t) =>
              t.warnings.map((w) => (
                <li key={`${t.oid}:${w.threshold}`}>
                  <span className="mono">{t.qualifiedTable}</span>: {w.message}
                  {w.threshold in THRESHOLDS ? <ThresholdNote threshold={THRESHOLDS[w.threshold as keyof typeof THRESHOLDS]} /> : null}
                </li>
              )),
            )}
          </ul>
        </div>
      ) : null}
      <CacheHit ratios={cache} />
      <SequenceDanger report={sequences} />
      <MaintenanceJobs initial={toJson({ jobs })} canCancel={canRun} />
      <div className="card">
        <form className="filter-form" method="get" action="/tables">
          <input type="hidden" name="sort" value={sort} />
          <input type="hidden" name="dir" value={dir} />
          <label>
            Table contains <input name="q" defaultValue={search ?? ''} maxLength={200} />
          </label>
          <button type="submit">Filter</button>
        </form>
        <DataTable
          label="Tables"
          testId="tables"
          rows={rows}
          rowKey={(t) => t.oid}
          rowProps={(t) => ({ 'data-table': t.qualifiedTable })}
          empty={search ? 'No table matches the filter.' : 'This database has no tables outside the system schemas.'}
          sort={{ key: sort, direction: dir, href: (key, d) => href({ sort: key, dir: d, page: '1' }) }}
          columns={[
            { key: 'name', label: 'Table', value: (t) => t.qualifiedTable, mono: true },
            { key: 'size', label: 'Size (with indexes, TOAST)', value: (t) => t.totalBytes, format: 'bytes', sortable: true, firstDirection: 'desc' },
            { key: 'writes', label: 'Ins / upd / del', value: (t) => `${t.inserts} / ${t.updates} / ${t.deletes}`, align: 'end', sortable: true, firstDirection: 'desc' },
            { key: 'hot', label: 'HOT updates', value: (t) => pct(t.hotShare), align: 'end' },
            { key: 'live', label: 'Live rows', value: (t) => t.liveRows, format: 'count' },
            { key: 'dead', label: 'Dead rows', value: (t) => (t.deadRows ? `${t.deadRows} (${pct(t.deadShare)})` : '0'), align: 'end', sortable: true, firstDirection: 'desc' },
            { key: 'bloat', label: 'Bloat (est.)', value: (t) => (t.bloat?.bloatBytes != null ? `${pct(t.bloat.bloatShare)}` : null), align: 'end', sortable: true, firstDirection: 'desc' },
            { key: 'seq', label: 'Seq / index scans', value: (t) => `${t.seqScans} / ${t.indexScans ?? '–'}`, align: 'end', sortable: true, firstDirection: 'desc' },
            { key: 'vacuum', label: 'Last vacuum', value: (t) => latest(t.lastVacuum, t.lastAutovacuum), format: 'timestamp' },
            { key: 'analyze', label: 'Last analyze', value: (t) => latest(t.lastAnalyze, t.lastAutoanalyze), format: 'timestamp' },
            { key: 'xid', label: 'XID age', value: (t) => t.xidAge, format: 'count', sortable: true, firstDirection: 'desc' },
            canRun && { key: 'actions', label: 'Maintenance', cell: (t) => <TableMaintenance schema={t.schema} table={t.table} /> },
          ]}
          footer={
            <Pager
              label="Table pages"
              summary={<span className="muted">{matching.length === report.tables.length ? `${report.tables.length} tables` : `${matching.length} of ${report.tables.length} tables match`}</span>}
              links={[page > 1 && { href: href({ page: String(page - 1) }), label: 'Previous' }, page * PAGE_SIZE < matching.length && { href: href({ page: String(page + 1) }), label: 'Next' }]}
            />
          }
        />
      </div>
    </>
  )
}
