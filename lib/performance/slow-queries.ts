import { type Kysely, sql } from 'kysely'
import { containsPattern } from '../db/like-pattern'
import { DASHBOARD_SQL_TAG, readAccess } from './access'
import { PerformanceError } from './performance-error'
import { readStatementsColumns, type StatementsColumns } from './statements-columns'
import { readStatementsStatus, type StatementsStatus } from './statements-extension'
import { THRESHOLDS } from './thresholds'

export const SLOW_QUERY_SORTS = ['total', 'mean', 'calls', 'max', 'stddev', 'rows', 'temp', 'hitRatio'] as const
export type SlowQuerySort = (typeof SLOW_QUERY_SORTS)[number]

export interface SlowQueryOptions {
  sort?: SlowQuerySort
  /** Default: descending, except hitRatio (worst first). */
  direction?: 'asc' | 'desc'
  limit?: number
  offset?: number
  /** Matched case-insensitively anywhere in the statement text. */
  search?: string
  minCalls?: number
  /** Only statements of this role. */
  user?: string
  /** Every database of the server instead of the connection's own. */
  allDatabases?: boolean
  /** Keep the dashboard's own statements (tagged with DASHBOARD_SQL_TAG); left out by default. */
  includeDashboard?: boolean
  /** Leave out the statements of these roles (e.g. a dedicated monitoring role of the dashboard). */
  excludeUsers?: string[]
}

export interface SlowQuery {
  /** int8 as text: JavaScript numbers cannot hold every query id. */
  queryid: string
  query: string
  user: string | null
  database: string | null
  toplevel: boolean
  calls: number
  totalMs: number
  meanMs: number
  minMs: number
  maxMs: number
  stddevMs: number
  rows: number
  /** This statement's share of the total execution time of all statements in scope, 0–1. */
  share: number | null
  /** shared_blks_hit / (hit + read); null when it touched no shared buffers. */
  hitRatio: number | null
  sharedBlksHit: number
  sharedBlksRead: number
  tempBlksRead: number
  tempBlksWritten: number
  /** pghero's rule: mean ≥ slow_query_ms and calls ≥ slow_query_calls. */
  slow: boolean
  /** Another role's statement whose text this role may not read. */
  hidden: boolean
}

export interface SlowQueries {
  status: StatementsStatus
  /** Null unless status.state is 'ready'. */
  columns: StatementsColumns | null
  queries: SlowQuery[]
  /** Statements in scope (database, dashboard exclusion) and total execution time over the top-level ones. */
  totals: { statements: number; totalMs: number; matched: number }
  statsReset: Date | null
  /** Entries evicted since the reset because pg_stat_statements.max was reached (1.9+). */
  deallocations: number | null
  thresholds: { slowMeanMs: number; slowCalls: number }
  limitations: string[]
}

const MAX_LIMIT = 1000

interface Row {
  queryid: string
  query: string
  rolname: string | null
  datname: string | null
  toplevel: boolean
  calls: number
  total_ms: number
  mean_ms: number
  min_ms: number
  max_ms: number
  stddev_ms: number
  rows: number
  shared_blks_hit: number
  shared_blks_read: number
  temp_blks_read: number
  temp_blks_written: number
  hit_ratio: number | null
  all_ms: number | null
  statements: number
  matched: number
}

/**
 * pg_stat_statements sorted, filtered and limited on the server. When the extension cannot be
 * read the answer carries the status with its advice and no queries, rather than an error.
 */
export async function listSlowQueries(db: Kysely<any>, opts: SlowQueryOptions = {}): Promise<SlowQueries> {
  const sort = opts.sort ?? 'total'
  if (!SLOW_QUERY_SORTS.includes(sort)) throw new PerformanceError('invalid_input', `Unknown sort "${sort}"; one of ${SLOW_QUERY_SORTS.join(', ')}.`)
  const limit = opts.limit ?? 100
  const offset = opts.offset ?? 0
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new PerformanceError('invalid_input', `The limit must be 1–${MAX_LIMIT}.`)
  if (!Number.isInteger(offset) || offset < 0) throw new PerformanceError('invalid_input', 'The offset must be 0 or more.')
  const thresholds = { slowMeanMs: THRESHOLDS.slowQueryMeanMs.value, slowCalls: THRESHOLDS.slowQueryCalls.value }

  const [status, access] = await Promise.all([readStatementsStatus(db, { checkUpdate: false }), readAccess(db)])
  if (status.state !== 'ready') {
    return { status, columns: null, queries: [], totals: { statements: 0, totalMs: 0, matched: 0 }, statsReset: null, deallocations: null, thresholds, limitations: [] }
  }
  const schema = status.facts.schema!
  const cols = await readStatementsColumns(db, schema, status.facts.installedVersion!)
  const c = (name: string) => sql.ref(`s.${name}`)
  const direction = opts.direction ?? (sort === 'hitRatio' ? 'asc' : 'desc')
  const sortColumn = {
    total: 'total_ms',
    mean: 'mean_ms',
    calls: 'calls',
    max: 'max_ms',
    stddev: 'stddev_ms',
    rows: 'rows',
    temp: 'temp_blks',
    hitRatio: 'hit_ratio',
  }[sort]
  const orderBy = direction === 'asc' ? sql`${sql.ref(`m.${sortColumn}`)} asc nulls last` : sql`${sql.ref(`m.${sortColumn}`)} desc nulls last`
  const pattern = opts.search?.trim() ? containsPattern(opts.search.trim()) : null

  const infoQuery = cols.info
    ? sql<{ stats_reset: Date | null; dealloc: number }>`/* dor-db-admin */
        select stats_reset, dealloc from ${sql.id(schema, 'pg_stat_statements_info')}`.execute(db)
    : undefined
  const listQuery = sql<Row>`/* dor-db-admin */
    with scope as (
      select s.queryid::text as queryid, s.userid, s.dbid, s.query, s.calls,
             ${c(cols.totalMs)} as total_ms, ${c(cols.meanMs)} as mean_ms, ${c(cols.minMs)} as min_ms,
             ${c(cols.maxMs)} as max_ms, ${c(cols.stddevMs)} as stddev_ms, s.rows,
             s.shared_blks_hit, s.shared_blks_read, s.temp_blks_read, s.temp_blks_written,
             s.temp_blks_read + s.temp_blks_written as temp_blks,
             s.shared_blks_hit::float8 / nullif(s.shared_blks_hit + s.shared_blks_read, 0) as hit_ratio,
             ${cols.toplevel ? c('toplevel') : sql`true`} as toplevel
      from ${sql.id(schema, 'pg_stat_statements')} s
      where (${opts.allDatabases ?? false}::bool or s.dbid = (select d.oid from pg_database d where d.datname = current_database()))
        and (${opts.includeDashboard ?? false}::bool or not starts_with(s.query, ${DASHBOARD_SQL_TAG}))
        and not s.userid in (select r.oid from pg_roles r where r.rolname = any(${opts.excludeUsers ?? []}::text[]))
    ), m as (
      select * from scope s
      where (${pattern}::text is null or s.query ilike ${pattern})
        and s.calls >= ${opts.minCalls ?? 0}::bigint
        and (${opts.user ?? null}::text is null or s.userid = (select r.oid from pg_roles r where r.rolname = ${opts.user ?? null}))
    )
    -- Totals as uncorrelated subqueries: computed once (a joined aggregate was re-run per row when
    -- the planner misjudged the function scan's row count).
    select m.queryid, m.query, r.rolname, d.datname, m.toplevel, m.calls, m.total_ms, m.mean_ms, m.min_ms, m.max_ms, m.stddev_ms,
           m.rows, m.shared_blks_hit, m.shared_blks_read, m.temp_blks_read, m.temp_blks_written, m.hit_ratio,
           (select coalesce(sum(total_ms) filter (where toplevel), 0) from scope) as all_ms,
           (select count(*) from scope) as statements,
           count(*) over () as matched
    from m
    left join pg_roles r on r.oid = m.userid
    left join pg_database d on d.oid = m.dbid
    order by ${orderBy}, m.queryid
    limit ${limit}::int offset ${offset}::int
  `.execute(db)
  const [{ rows }, infoResult] = await Promise.all([listQuery, infoQuery])
  const info = infoResult?.rows[0]
  // Totals come with every row; an empty page still needs them.
  const totals = rows[0]
    ? { statements: rows[0].statements, totalMs: rows[0].all_ms ?? 0, matched: rows[0].matched }
    : await scopeTotals(db, schema, cols, opts)

  const queries = rows.map((r): SlowQuery => {
    const hidden = r.query === '<insufficient privilege>'
    return {
      queryid: r.queryid,
      query: r.query,
      user: r.rolname,
      database: r.datname,
      toplevel: r.toplevel,
      calls: r.calls,
      totalMs: r.total_ms,
      meanMs: r.mean_ms,
      minMs: r.min_ms,
      maxMs: r.max_ms,
      stddevMs: r.stddev_ms,
      rows: r.rows,
      share: r.all_ms ? r.total_ms / r.all_ms : null,
      hitRatio: r.hit_ratio,
      sharedBlksHit: r.shared_blks_hit,
      sharedBlksRead: r.shared_blks_read,
      tempBlksRead: r.temp_blks_read,
      tempBlksWritten: r.temp_blks_written,
      slow: r.mean_ms >= thresholds.slowMeanMs && r.calls >= thresholds.slowCalls,
      hidden,
    }
  })
  const limitations: string[] = []
  if (!access.readAllStats && queries.some((q) => q.hidden)) {
    limitations.push(`Other roles' statement texts are hidden from ${access.user}: grant it pg_monitor (or pg_read_all_stats) to read them.`)
  }
  if (info && info.dealloc > 0) {
    limitations.push(
      `${info.dealloc} statement entries were evicted since the reset because pg_stat_statements.max was reached: rarely run statements may be missing; raise pg_stat_statements.max (restart needed).`,
    )
  }
  return {
    status,
    columns: cols,
    queries,
    totals,
    statsReset: info?.stats_reset ?? null,
    deallocations: info ? info.dealloc : null,
    thresholds,
    limitations,
  }
}

async function scopeTotals(db: Kysely<any>, schema: string, cols: StatementsColumns, opts: SlowQueryOptions) {
  const { rows } = await sql<{ statements: number; all_ms: number | null }>`/* dor-db-admin */
    select count(*) as statements, sum(${sql.ref(`s.${cols.totalMs}`)}) filter (where ${cols.toplevel ? sql.ref('s.toplevel') : sql`true`}) as all_ms
    from ${sql.id(schema, 'pg_stat_statements')} s
    where (${opts.allDatabases ?? false}::bool or s.dbid = (select d.oid from pg_database d where d.datname = current_database()))
      and (${opts.includeDashboard ?? false}::bool or not starts_with(s.query, ${DASHBOARD_SQL_TAG}))
      and not s.userid in (select r.oid from pg_roles r where r.rolname = any(${opts.excludeUsers ?? []}::text[]))
  `.execute(db)
  return { statements: rows[0].statements, totalMs: rows[0].all_ms ?? 0, matched: 0 }
}

/**
 * pg_stat_statements_reset for this database's statements (or one of them by queryid), or with
 * `allDatabases` for the whole server, which also restarts pg_stat_statements_info's stats_reset.
 * By default only superusers may run it; a role granted EXECUTE on the function may too.
 */
export async function resetStatements(
  db: Kysely<any>,
  opts: { queryid?: string; allDatabases?: boolean } = {},
): Promise<{ reset: 'database' | 'server' | 'statement'; queryid: string | null }> {
  const status = await readStatementsStatus(db, { checkUpdate: false })
  if (status.state !== 'ready') throw new PerformanceError('unavailable', status.summary)
  const schema = status.facts.schema!
  if (opts.queryid !== undefined && !/^-?\d{1,19}$/.test(opts.queryid)) throw new PerformanceError('invalid_input', `"${opts.queryid}" is not a query id.`)
  const { rows } = await sql<{ allowed: boolean; who: string; grant: string; dbid: number }>`/* dor-db-admin */
    select coalesce(bool_or(has_function_privilege(p.oid, 'EXECUTE')), false) as allowed, current_user as who,
           format('GRANT EXECUTE ON FUNCTION %I.pg_stat_statements_reset TO %I;', ${schema}::text, current_user) as grant,
           (select d.oid from pg_database d where d.datname = current_database()) as dbid
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = ${schema} and p.proname = 'pg_stat_statements_reset'
  `.execute(db)
  const r = rows[0]
  if (!r.allowed) {
    throw new PerformanceError(
      'not_permitted',
      `Resetting needs a superuser or EXECUTE on pg_stat_statements_reset; the dashboard connects as ${r.who}. A superuser can allow it: ${r.grant}`,
    )
  }
  const fn = sql.id(schema, 'pg_stat_statements_reset')
  // (userid, dbid, queryid), 0 meaning all; from extension 1.7 (PostgreSQL 12) on.
  const dbid = opts.allDatabases ? 0 : Number(r.dbid)
  const queryid = opts.queryid ?? '0'
  if (opts.allDatabases && opts.queryid === undefined) await sql`/* dor-db-admin */ select ${fn}()`.execute(db)
  else await sql`/* dor-db-admin */ select ${fn}(0, ${dbid}::oid, ${queryid}::bigint)`.execute(db)
  return {
    reset: opts.queryid !== undefined ? 'statement' : opts.allDatabases ? 'server' : 'database',
    queryid: opts.queryid ?? null,
  }
}
