import { type Kysely, sql } from 'kysely'

/** Tables and their columns from the live catalog: rules check what exists, never assume names. */
export async function liveColumns(db: Kysely<any>): Promise<Map<string, { schema: string; table: string; columns: Set<string> }>> {
  const { rows } = await sql<{ schema: string; table: string; columns: string[] }>`
    select n.nspname as schema, c.relname as table,
           array(select a.attname::text from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped) as columns
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p') and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
  `.execute(db)
  const out = new Map<string, { schema: string; table: string; columns: Set<string> }>()
  // A bare table name finds the table in 'public' first, then the first schema that has it.
  const sorted = rows.sort((a, b) => (a.schema === 'public' ? -1 : b.schema === 'public' ? 1 : a.schema < b.schema ? -1 : 1))
  for (const r of sorted) {
    const entry = { schema: r.schema, table: r.table, columns: new Set(r.columns) }
    out.set(`${r.schema}.${r.table}`, entry)
    if (!out.has(r.table)) out.set(r.table, entry)
  }
  return out
}

/** The first of the given table names that exists with all the given columns. */
export function findTable(
  tables: Awaited<ReturnType<typeof liveColumns>>,
  names: string[],
  columns: string[],
): { schema: string; table: string } | null {
  for (const n of names) {
    const t = tables.get(n)
    if (t && columns.every((c) => t.columns.has(c))) return { schema: t.schema, table: t.table }
  }
  return null
}
