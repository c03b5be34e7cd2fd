import { type Kysely, sql } from 'kysely'

/** Tables and their columns from the live catalog: rules check what exists, never assume names. */
export interface LiveTable {
  schema: string
  table: string
  columns: Set<string>
  /** Each column's type category (pg_type.typcategory: 'N' numeric, 'S' string, 'D' date/time, …). */
  categories: Map<string, string>
}

export async function liveColumns(db: Kysely<any>): Promise<Map<string, LiveTable>> {
  const { rows } = await sql<{ schema: string; table: string; columns: string[]; categories: string[] }>`
    select n.nspname as schema, c.relname as table,
           array(select a.attname::text from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped order by a.attnum) as columns,
           array(select t.typcategory::text from pg_attribute a join pg_type t on t.oid = a.atttypid
                  where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped order by a.attnum) as categories
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p') and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
  `.execute(db)
  const out = new Map<string, LiveTable>()
  // A bare table name finds the table in 'public' first, then the first schema that has it.
  const sorted = rows.sort((a, b) => (a.schema === 'public' ? -1 : b.schema === 'public' ? 1 : a.schema < b.schema ? -1 : 1))
  for (const r of sorted) {
    const entry = { schema: r.schema, table: r.table, columns: new Set(r.columns), categories: new Map(r.columns.map((c, i) => [c, r.categories[i]])) }
    out.set(`${r.schema}.${r.table}`, entry)
    if (!out.has(r.table)) out.set(r.table, entry)
  }
  return out
}

/**
 * The first of the given table names that exists with all the given columns, and (where `kinds`
 * names one) a column of that type category: a rule written for DoR-Dash's columns does not run
 * on a table that only shares their names.
 */
export function findTable(
  tables: Awaited<ReturnType<typeof liveColumns>>,
  names: string[],
  columns: string[],
  kinds: Record<string, string> = {},
): { schema: string; table: string } | null {
  for (const n of names) {
    const t = tables.get(n)
    if (t && columns.every((c) => t.columns.has(c) && (!kinds[c] || t.categories.get(c) === kinds[c]))) return { schema: t.schema, table: t.table }
  }
  return null
}

/** The type category of a column, if the table and column exist. */
export function columnCategory(tables: Awaited<ReturnType<typeof liveColumns>>, t: { schema: string; table: string }, column: string): string | undefined {
  return tables.get(`${t.schema}.${t.table}`)?.categories.get(column)
}
