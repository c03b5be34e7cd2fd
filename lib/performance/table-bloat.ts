import { type Kysely, sql } from 'kysely'

/**
 * Estimated table bloat from statistics alone, the method of pghero and of ioguix's
 * pgsql-bloat-estimation: how many pages the table would need for its reltuples rows at their
 * average width (pg_stats), against the pages it has (relpages). Nothing is read from the table,
 * so it is an estimate: off for tables never analysed, with wide TOASTed values, or with stale
 * statistics.
 */
export interface TableBloat {
  oid: number
  schema: string
  table: string
  realBytes: number
  expectedBytes: number | null
  bloatBytes: number | null
  /** bloat / real size, 0–1. */
  bloatShare: number | null
  /** Why there is no estimate, when there is none. */
  note: string | null
}

export interface BloatFacts {
  relpages: number
  reltuples: number
  blockSize: number
  fillfactor: number
  columns: number
  columnsWithStats: number
  hasNulls: boolean
  /** Σ (1 − null_frac) × avg_width over the columns. */
  dataWidth: number
}

const MAXALIGN = 8
const PAGE_HEADER = 24
const TUPLE_HEADER = 23
const LINE_POINTER = 4
const align = (n: number) => Math.ceil(n / MAXALIGN) * MAXALIGN

/** The estimate itself, apart from the catalog: a tuple is its aligned header and data plus a line pointer. */
export function estimateBloat(f: BloatFacts): { expectedPages: number; bloatPages: number; share: number } {
  const header = align(TUPLE_HEADER + (f.hasNulls ? Math.ceil(f.columns / 8) : 0))
  const tuple = header + align(Math.ceil(f.dataWidth)) + LINE_POINTER
  const usable = ((f.blockSize - PAGE_HEADER) * f.fillfactor) / 100
  const perPage = Math.max(1, Math.floor(usable / tuple))
  const expectedPages = Math.ceil(Math.max(0, f.reltuples) / perPage)
  const bloatPages = Math.max(0, f.relpages - expectedPages)
  return { expectedPages, bloatPages, share: f.relpages > 0 ? bloatPages / f.relpages : 0 }
}

export async function readTableBloat(
  db: Kysely<any>,
  opts: { schema?: string; table?: string } = {},
): Promise<{ tables: TableBloat[]; limitations: string[] }> {
  // pg_stats is a view that checks the column privilege of every pg_statistic row; joined on
  // (schema, table, column) names it was most of this query at 1,000 tables. Summed per table
  // once instead: statistics exist only for live user columns, so its count is comparable with
  // the attribute count.
  const { rows } = await sql<any>`/* dor-db-admin */
    with stats as (
      select s.schemaname, s.tablename, count(*)::int as columns_with_stats, bool_or(s.null_frac > 0) as has_nulls,
             sum((1 - coalesce(s.null_frac, 0)) * s.avg_width)::float8 as data_width
      from pg_stats s
      where not s.inherited and s.schemaname not in ('pg_catalog', 'information_schema')
        and (${opts.schema ?? null}::text is null or s.schemaname = ${opts.schema ?? null})
        and (${opts.table ?? null}::text is null or s.tablename = ${opts.table ?? null})
      group by s.schemaname, s.tablename
    ), cols as (
      select c.oid, n.nspname as schema, c.relname as table, c.relpages, c.reltuples, c.reloptions,
             count(a.attnum)::int as columns,
             has_table_privilege(c.oid, 'SELECT') or bool_and(has_column_privilege(c.oid, a.attnum, 'SELECT')) as readable
      from pg_class c
      join pg_namespace n on n.oid = c.relnamespace
      join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
      where c.relkind in ('r', 'm') and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_toast'
        and (${opts.schema ?? null}::text is null or n.nspname = ${opts.schema ?? null})
        and (${opts.table ?? null}::text is null or c.relname = ${opts.table ?? null})
      group by c.oid, n.nspname
    )
    select t.oid, t.schema, t.table, t.relpages, t.reltuples, current_setting('block_size')::int as block_size,
           coalesce((select substring(o from '^fillfactor=(\d+)$')::int from unnest(t.reloptions) o where o like 'fillfactor=%'), 100) as fillfactor,
           t.columns, coalesce(s.columns_with_stats, 0) as columns_with_stats, coalesce(s.has_nulls, false) as has_nulls,
           coalesce(s.data_width, 0) as data_width, t.readable
    from cols t
    left join stats s on s.schemaname = t.schema and s.tablename = t.table
  `.execute(db)
  let unreadable = 0
  const tables = rows.map((r): TableBloat => {
    const realBytes = r.relpages * r.block_size
    const none = (note: string): TableBloat => ({
      oid: Number(r.oid),
      schema: r.schema,
      table: r.table,
      realBytes,
      expectedBytes: null,
      bloatBytes: null,
      bloatShare: null,
      note,
    })
    if (!r.readable) {
      unreadable++
      return none("No estimate: pg_stats shows a column's statistics only to roles that may read the column.")
    }
    // reltuples is -1 until the first VACUUM or ANALYZE (PostgreSQL 14+; 0 before).
    if (r.reltuples < 0 || (r.columns > 0 && r.columns_with_stats === 0 && r.relpages > 0)) {
      return none('No estimate: the table has not been analysed yet (run ANALYZE).')
    }
    if (r.relpages === 0) return { ...none(''), expectedBytes: 0, bloatBytes: 0, bloatShare: 0, note: null }
    if (r.columns_with_stats < r.columns) return none('No estimate: some columns have no statistics (run ANALYZE).')
    const e = estimateBloat({
      relpages: r.relpages,
      reltuples: r.reltuples,
      blockSize: r.block_size,
      fillfactor: r.fillfactor,
      columns: r.columns,
      columnsWithStats: r.columns_with_stats,
      hasNulls: r.has_nulls,
      dataWidth: r.data_width,
    })
    return {
      oid: Number(r.oid),
      schema: r.schema,
      table: r.table,
      realBytes,
      expectedBytes: e.expectedPages * r.block_size,
      bloatBytes: e.bloatPages * r.block_size,
      bloatShare: e.share,
      note: null,
    }
  })
  const limitations = unreadable
    ? [`Bloat is not estimated for ${unreadable} table${unreadable > 1 ? 's' : ''} this role may not read: pg_stats hides their statistics (grant SELECT, or pg_read_all_data, to see it).`]
    : []
  return { tables, limitations }
}
