import { type Kysely, sql } from 'kysely'
import { containsPattern } from '../db/like-pattern'
import type { RelationKind } from './types'

export interface RelationListItem {
  schema: string
  name: string
  kind: RelationKind
  rowEstimate: number | null
  totalBytes: number | null
  columnCount: number
  /** Columns whose name matched the filter (empty when the schema or table name matched). */
  matchedColumns: string[]
}

export interface RelationListQuery {
  /** Matched against schema, table and column names, case-insensitively, wildcards literal. */
  q?: string
  schema?: string
  includeSystem?: boolean
  sort?: 'name' | 'size' | 'rows'
  /** Names A to Z, sizes and rows largest first, unless told. */
  dir?: 'asc' | 'desc'
  offset?: number
  limit?: number
}

const KIND: Record<string, RelationKind> = {
  r: 'table',
  p: 'partitioned_table',
  v: 'view',
  m: 'materialized_view',
  f: 'foreign_table',
}

/**
 * One page of the relation list, filtered and sorted in PostgreSQL, so that a database with
 * thousands of tables sends only what is shown.
 */
export async function listRelations(
  db: Kysely<any>,
  query: RelationListQuery = {},
): Promise<{ total: number; items: RelationListItem[] }> {
  const pattern = query.q?.trim() ? containsPattern(query.q.trim()) : null
  const limit = Math.min(Math.max(query.limit ?? 50, 1), 500)
  const offset = Math.max(query.offset ?? 0, 0)
  const bySize = query.sort === 'size'
  const byName = query.sort !== 'size' && query.sort !== 'rows'
  const dir = (query.dir ?? (byName ? 'asc' : 'desc')) === 'asc' ? sql`asc` : sql`desc`
  const order = bySize
    ? sql`size_for_sort ${dir} nulls last, schema, name`
    : query.sort === 'rows'
      ? sql`row_estimate ${dir} nulls last, schema, name`
      : sql`schema ${dir}, name ${dir}`
  const { rows } = await sql<{
    schema: string
    name: string
    relkind: string
    row_estimate: number | null
    total_bytes: number | null
    column_count: number
    matched_columns: string[]
    total: number
  }>`
    with rel as (
      select c.oid, n.nspname as schema, c.relname as name, c.relkind::text as relkind,
             case when c.reltuples >= 0 and c.relkind in ('r', 'm', 'p', 'f') then c.reltuples::float8 end as row_estimate,
             case when ${pattern}::text is null or n.nspname ilike ${pattern} or c.relname ilike ${pattern}
                  then '{}'::text[]
                  else array(select a.attname::text from pg_attribute a
                             where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attname ilike ${pattern}
                             order by a.attnum)
             end as matched_columns,
             (${pattern}::text is null or n.nspname ilike ${pattern} or c.relname ilike ${pattern}) as name_matched
      from pg_class c
      join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p', 'v', 'm', 'f')
        and (${query.includeSystem ?? false} or (n.nspname !~ '^pg_' and n.nspname <> 'information_schema'))
        and (${query.schema ?? null}::text is null or n.nspname = ${query.schema ?? null})
    ),
    matched as (
      select * from rel where name_matched or cardinality(matched_columns) > 0
    ),
    counted as (
      select m.*, count(*) over () as total,
             ${bySize ? sql`case when m.relkind in ('r', 'm', 'p') then pg_total_relation_size(m.oid) end` : sql`null::int8`} as size_for_sort
      from matched m
    ),
    page as (
      select * from counted order by ${order} limit ${limit} offset ${offset}
    )
    -- Sizes and column counts only for the rows shown (sizes of all matches only to sort by size):
    -- pg_total_relation_size reads the files of every table it is given.
    select schema, name, relkind, row_estimate, total::int as total, matched_columns,
           ${bySize ? sql`size_for_sort` : sql`case when relkind in ('r', 'm', 'p') then pg_total_relation_size(oid) end`} as total_bytes,
           (select count(*) from pg_attribute a where a.attrelid = page.oid and a.attnum > 0 and not a.attisdropped)::int as column_count
    from page
    order by ${order}
  `.execute(db)
  return {
    total: rows[0]?.total ?? (offset > 0 ? await countOnly(db, query) : 0),
    items: rows.map((r) => ({
      schema: r.schema,
      name: r.name,
      kind: KIND[r.relkind],
      rowEstimate: r.row_estimate,
      totalBytes: r.total_bytes,
      columnCount: r.column_count,
      matchedColumns: r.matched_columns,
    })),
  }
}

/** The total when the requested page is past the end. */
async function countOnly(db: Kysely<any>, query: RelationListQuery): Promise<number> {
  const first = await listRelations(db, { ...query, offset: 0, limit: 1 })
  return first.total
}
