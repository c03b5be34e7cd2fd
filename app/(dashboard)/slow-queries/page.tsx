import Link from 'next/link'
import { DataTable, Pager, type SortDirection } from '@/components/data-table'
import { Suspense } from 'react'
import { TableSkeleton } from '@/components/skeletons'
import { SqlBlock } from '@/components/sql-block'
import { ThresholdNote } from '@/components/threshold-note'
import { requireUser } from '@/lib/auth/current-user'
import { can } from '@/lib/auth/permissions'
import { targetDb } from '@/lib/db/server-dbs'
import { formatTimestamp } from '@/lib/format/units'
import { listSlowQueries, SLOW_QUERY_SORTS, type SlowQuery, type SlowQuerySort } from '@/lib/performance/slow-queries'
import { THRESHOLDS } from '@/lib/performance/thresholds'
import { ExtensionAdvice } from './_components/extension-advice'
import { QueryDetails } from './_components/query-details'
import { HISTORY_PERIODS, type HistoryPeriod, QueryHistory } from './_components/query-history'
import { ResetButton } from './_components/reset-button'

const PAGE_SIZE = 50

type Search = { sort?: string; dir?: string; q?: string; minCalls?: string; page?: string; history?: string; period?: string }

function pct(v: number | null): string | null {
  return v === null ? null : `${(v * 100).toFixed(1)} %`
}

export default async function SlowQueriesPage({ searchParams }: { searchParams: Promise<Search> }) {
  const user = await requireUser()
  const sp = await searchParams
  const sort: SlowQuerySort = (SLOW_QUERY_SORTS as readonly string[]).includes(sp.sort ?? '') ? (sp.sort as SlowQuerySort) : 'total'
  const direction: SortDirection | undefined = sp.dir === 'asc' || sp.dir === 'desc' ? sp.dir : undefined
  const search = sp.q?.trim().slice(0, 200) || undefined
  const minCalls = /^\d{1,9}$/.test(sp.minCalls ?? '') ? Number(sp.minCalls) : undefined
  const page = /^\d{1,6}$/.test(sp.page ?? '') ? Math.max(1, Number(sp.page)) : 1
  const history = /^-?\d{1,19}$/.test(sp.history ?? '') ? sp.history : undefined
  const period: HistoryPeriod = Object.hasOwn(HISTORY_PERIODS, sp.period ?? '') ? (sp.period as HistoryPeriod) : '24h'
  const r = await listSlowQueries(targetDb(), { sort, direction, search, minCalls, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE })

  const href = (over: Partial<Search>) => {
    const p = new URLSearchParams()
    for (const [k, v] of Object.entries({ sort, dir: direction, q: search, minCalls: minCalls?.toString(), page: String(page), history, period: history ? period : undefined, ...over }))
      if (v) p.set(k, v)
    return `/slow-queries?${p}`
  }
  const canAnalyze = can(user.role, 'queries.analyze')
  const canManage = can(user.role, 'statements.manage')

  if (r.status.state !== 'ready') {
    return (
      <>
        <h1>Slow queries</h1>
        <ExtensionAdvice status={r.status} canCreate={canManage && r.status.canCreate} />
      </>
    )
  }

  return (
    <>
      <h1>Slow queries</h1>
      <p className="muted">
        From pg_stat_statements{r.statsReset ? `, counted since ${formatTimestamp(r.statsReset)}` : ''}; {r.totals.statements} statements in this database, the dashboard&apos;s own left out.
        <ThresholdNote threshold={THRESHOLDS.slowQueryMeanMs} />
        <ThresholdNote threshold={THRESHOLDS.slowQueryCalls} />
      </p>
      {r.limitations.map((l) => (
        <div className="banner warn" key={l}>
          {l}
        </div>
      ))}
      {history ? (
        <Suspense key={`${history}:${period}`} fallback={<TableSkeleton rows={4} />}>
          <QueryHistory queryid={history} period={period} href={(p) => href({ history: p ? history : '', period: p ?? '' })} />
        </Suspense>
      ) : null}
      <form className="filter-form" method="get" action="/slow-queries">
        <input type="hidden" name="sort" value={sort} />
        {direction ? <input type="hidden" name="dir" value={direction} /> : null}
        <label>
          Text contains <input name="q" defaultValue={search ?? ''} maxLength={200} />
        </label>
        <label>
          At least calls <input name="minCalls" type="number" min={0} defaultValue={minCalls ?? ''} />
        </label>
        <button type="submit">Filter</button>
        {canManage ? <ResetButton /> : null}
      </form>
      <div className="card">
        <DataTable<SlowQuery>
          label="Statements"
          testId="slow-queries"
          rows={r.queries}
          rowKey={(q) => `${q.queryid}:${q.user}:${q.database}:${q.toplevel}`}
          rowProps={(q) => ({ 'data-queryid': q.queryid, 'data-slow': q.slow })}
          empty={search || minCalls ? 'No statement matches the filter.' : 'No statements recorded yet.'}
          sort={{ key: sort, direction: direction ?? (sort === 'hitRatio' ? 'asc' : 'desc'), href: (key, dir) => href({ sort: key, dir, page: '1' }) }}
          columns={[
            {
              key: 'query',
              label: 'Statement',
              cell: (q) =>
                q.hidden ? (
                  <span className="muted">another role&apos;s statement (needs pg_read_all_stats)</span>
                ) : (
                  <>
                    {q.slow ? <span className="badge warn">slow</span> : null} <code className="query-text">{q.query.length > 300 ? `${q.query.slice(0, 300)}…` : q.query}</code>
                    <Link className="query-history-link" href={href({ history: q.queryid })} prefetch={false}>
                      History
                    </Link>
                    <QueryDetails statement={q.query} canAnalyze={canAnalyze} />
                  </>
                ),
            },
            { key: 'total', label: 'Total', value: (q) => q.totalMs, format: 'duration', sortable: true, firstDirection: 'desc' },
            { key: 'share', label: 'Share', value: (q) => pct(q.share), align: 'end' },
            { key: 'mean', label: 'Mean', value: (q) => q.meanMs, format: 'duration', sortable: true, firstDirection: 'desc' },
            { key: 'max', label: 'Max', value: (q) => q.maxMs, format: 'duration', sortable: true, firstDirection: 'desc' },
            { key: 'stddev', label: 'Stddev', value: (q) => q.stddevMs, format: 'duration', sortable: true, firstDirection: 'desc' },
            { key: 'calls', label: 'Calls', value: (q) => q.calls, format: 'count', sortable: true, firstDirection: 'desc' },
            { key: 'rows', label: 'Rows', value: (q) => q.rows, format: 'count', sortable: true, firstDirection: 'desc' },
            { key: 'hitRatio', label: 'Cache hits', value: (q) => pct(q.hitRatio), align: 'end', sortable: true },
            { key: 'temp', label: 'Temp blocks', value: (q) => q.tempBlksRead + q.tempBlksWritten, format: 'count', sortable: true, firstDirection: 'desc' },
            { key: 'user', label: 'User', value: (q) => q.user, mono: true },
          ]}
          footer={
            <Pager
              label="Statements pages"
              summary={<span className="muted">{r.totals.matched} matching</span>}
              links={[page > 1 && { href: href({ page: String(page - 1) }), label: 'Previous' }, page * PAGE_SIZE < r.totals.matched && { href: href({ page: String(page + 1) }), label: 'Next' }]}
            />
          }
        />
      </div>
      <details className="card">
        <summary>Other PostgreSQL versions</summary>
        <p className="muted">
          pg_stat_statements names its timing columns by version: PostgreSQL 13–16 have total_exec_time, mean_exec_time and friends (12 had total_time); 17 renames blk_read_time to
          shared_blk_read_time and stats_since appears. The dashboard reads the columns the server has, so each version shows what it records.
        </p>
        <SqlBlock label="the query behind this page" sql={`SELECT query, calls, total_exec_time, mean_exec_time, max_exec_time, rows\nFROM pg_stat_statements\nORDER BY total_exec_time DESC\nLIMIT 50;`} wrap />
      </details>
    </>
  )
}
