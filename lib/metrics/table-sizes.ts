import { type Kysely, sql } from 'kysely'
import type { StateDb } from '../state/state-db'

export interface TableSize {
  schema: string
  table: string
  totalBytes: number
  tableBytes: number
  indexBytes: number
  toastBytes: number
  /** reltuples: the planner's estimate, null before the first VACUUM or ANALYZE. */
  rowsEstimate: number | null
}

/** Table sizes are kept once an hour: unlike the other metrics their cost grows with the number of tables. */
export const TABLE_SIZE_INTERVAL_MS = 60 * 60 * 1000

/** Sizes of every user table (partitioned tables as their partitions), from the catalog. */
export async function readTableSizes(db: Kysely<any>): Promise<TableSize[]> {
  const { rows } = await sql<{ schema: string; table: string; total: number; heap: number; indexes: number; toast: number; reltuples: number }>`/* dor-db-admin */
    select n.nspname as schema, c.relname as table,
           pg_total_relation_size(c.oid) as total, pg_relation_size(c.oid) as heap, pg_indexes_size(c.oid) as indexes,
           coalesce(pg_total_relation_size(nullif(c.reltoastrelid, 0)), 0) as toast, c.reltuples::float8 as reltuples
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'm') and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_toast'
    order by 3 desc
  `.execute(db)
  return rows.map((r) => ({
    schema: r.schema,
    table: r.table,
    totalBytes: r.total,
    tableBytes: r.heap,
    indexBytes: r.indexes,
    toastBytes: r.toast,
    rowsEstimate: r.reltuples >= 0 ? Math.round(r.reltuples) : null,
  }))
}

export async function saveTableSizes(state: StateDb, targetKey: string, at: Date, sizes: TableSize[]): Promise<void> {
  if (sizes.length === 0) return
  // Batches keep each INSERT under the 65,535 parameters a statement may carry.
  for (let i = 0; i < sizes.length; i += 5000) {
    await state
      .insertInto('table_size_sample')
      .values(
        sizes.slice(i, i + 5000).map((s) => ({
          target_key: targetKey,
          taken_at: at,
          schema_name: s.schema,
          table_name: s.table,
          total_bytes: s.totalBytes,
          table_bytes: s.tableBytes,
          index_bytes: s.indexBytes,
          toast_bytes: s.toastBytes,
          rows_estimate: s.rowsEstimate,
        })),
      )
      .execute()
  }
}

/** When the table sizes of a target were last kept; null when never. */
export async function lastTableSizesAt(state: StateDb, targetKey: string): Promise<Date | null> {
  const row = await state
    .selectFrom('table_size_sample')
    .select((eb) => eb.fn.max('taken_at').as('at'))
    .where('target_key', '=', targetKey)
    .executeTakeFirst()
  return (row?.at as Date | null) ?? null
}

export interface TableSizeHistory {
  schema: string
  table: string
  points: { at: Date; totalBytes: number }[]
}

/** Each table's total size over [from, to], largest now first. */
export async function tableSizeHistory(state: StateDb, targetKey: string, from: Date, to: Date): Promise<TableSizeHistory[]> {
  const rows = await state
    .selectFrom('table_size_sample')
    .select(['schema_name', 'table_name', 'taken_at', 'total_bytes'])
    .where('target_key', '=', targetKey)
    .where('taken_at', '>=', from)
    .where('taken_at', '<=', to)
    .orderBy('taken_at')
    .execute()
  const byTable = new Map<string, TableSizeHistory>()
  for (const r of rows) {
    const key = JSON.stringify([r.schema_name, r.table_name])
    let t = byTable.get(key)
    if (!t) byTable.set(key, (t = { schema: r.schema_name, table: r.table_name, points: [] }))
    t.points.push({ at: r.taken_at, totalBytes: Number(r.total_bytes) })
  }
  const last = (t: TableSizeHistory) => t.points[t.points.length - 1]?.totalBytes ?? 0
  return [...byTable.values()].sort((a, b) => last(b) - last(a))
}
