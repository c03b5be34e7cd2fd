import { type Kysely, sql } from 'kysely'
import { looksSecret } from '../db/secret-names'
import { csvLine } from '../format/csv'
import { orphanCondition, tableRef } from './orphans'
import { relationsToCheck } from './relations'
import { type IntegrityRelation, relationKey } from './types'
import type { StateDb } from '../state/state-db'

type Ref = Pick<IntegrityRelation, 'schema' | 'table' | 'columns' | 'refSchema' | 'refTable' | 'refColumns' | 'matchFull' | 'collations' | 'casts' | 'childOnly' | 'parentOnly'>

export { csvField, csvLine } from '../format/csv'

/** What a masked value becomes in the file: the name suggests a secret, so its value stays in the database. */
export const MASKED = '[masked]'

/** The primary key columns of a table, in key order; empty when it has none. */
export async function primaryKeyColumns(db: Kysely<any>, schema: string, table: string): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select a.attname::text as name
    from pg_constraint p
    join pg_class c on c.oid = p.conrelid join pg_namespace n on n.oid = c.relnamespace
    cross join unnest(p.conkey) with ordinality k(attnum, ord)
    join pg_attribute a on a.attrelid = p.conrelid and a.attnum = k.attnum
    where n.nspname = ${schema} and c.relname = ${table} and p.contype = 'p'
    order by k.ord
  `.execute(db)
  return rows.map((r) => r.name)
}

export interface OrphanCsvOptions {
  /** Rows per query; each query is one statement under the pool's statement timeout. */
  batchSize?: number
  /** Columns whose values are replaced by MASKED (default: names that look like secrets). */
  mask?: (column: string) => boolean
}

/**
 * Every orphan of a relation as CSV: a header line, then one line per orphan with the child's key
 * columns and the reference columns (the same columns as sampleOrphans). Walks the orphans in
 * batches by keyset pagination — on the primary key, or on ctid when the table has none — so no
 * query holds more than one batch and a download of millions of rows never needs an OFFSET.
 */
export async function* orphanCsvLines(
  db: Kysely<any>,
  rel: Ref,
  keyColumns: string[],
  opts: OrphanCsvOptions = {},
): AsyncGenerator<string, void, undefined> {
  const columns = [...keyColumns, ...rel.columns.filter((c) => !keyColumns.includes(c))]
  const masked = columns.map(opts.mask ?? looksSecret)
  const batchSize = Math.min(Math.max(Math.floor(opts.batchSize ?? 5000), 1), 50_000)
  const table = sql.id(rel.schema, rel.table)
  const select = columns.map((col, i) => sql`${sql.id('c', col)}::text as ${sql.id('v' + i)}`)
  const byKey = keyColumns.length > 0
  const order = byKey ? sql.join(keyColumns.map((k) => sql.id('c', k))) : sql`c.ctid`

  yield csvLine(columns)
  // The last row of the previous batch: its key values as text (read back with the table's own
  // row type, so every type compares as itself), or its ctid.
  let after: string[] | null = null
  while (true) {
    let from = sql``
    if (after && byKey) {
      const json = JSON.stringify(Object.fromEntries(keyColumns.map((k, i) => [k, after![i]])))
      from = sql`and (${order}) > (select ${sql.join(keyColumns.map((k) => sql.id('r', k)))}
        from jsonb_populate_record(null::${table}, ${json}::jsonb) as r)`
    } else if (after) {
      from = sql`and c.ctid > ${after[0]}::tid`
    }
    const { rows } = await sql<Record<string, string | null>>`
      select ${sql.join(select)}, c.ctid::text as "__ctid" from ${tableRef(rel.schema, rel.table, rel.childOnly)} as c
      where ${orphanCondition(rel)} ${from}
      order by ${order} limit ${batchSize}
    `.execute(db)
    for (const r of rows) yield csvLine(columns.map((_, i) => (masked[i] ? MASKED : r['v' + i])))
    if (rows.length < batchSize) return
    const last = rows[rows.length - 1]
    after = byKey ? keyColumns.map((_, i) => last['v' + i] as string) : [last.__ctid as string]
  }
}

const QUERY_NAMES = ['schema', 'table', 'columns', 'refSchema', 'refTable', 'refColumns'] as const

/** The query string naming a relation, as the orphan pages and the CSV download take it. */
export function relationQuery(rel: Ref): string {
  return new URLSearchParams({
    schema: rel.schema,
    table: rel.table,
    columns: rel.columns.join(','),
    refSchema: rel.refSchema,
    refTable: rel.refTable,
    refColumns: rel.refColumns.join(','),
  }).toString()
}

/** The relation named by a query string (columns comma-separated), or null when a part is missing. */
export function relationFromQuery(get: (name: string) => string | null | undefined): Ref | null {
  const values = QUERY_NAMES.map((n) => get(n) ?? '')
  if (values.some((v) => v.trim() === '' || v.length > 2000)) return null
  const list = (v: string) => v.split(',').map((s) => s.trim())
  const [schema, table, columns, refSchema, refTable, refColumns] = values
  const rel = { schema, table, columns: list(columns), refSchema, refTable, refColumns: list(refColumns) }
  if (rel.columns.some((c) => !c) || rel.refColumns.some((c) => !c) || rel.columns.length !== rel.refColumns.length) return null
  return rel
}

/**
 * The relation as the integrity run checks it (foreign key, accepted soft relation or open
 * suggestion), or null: pages, downloads and fixes only ever touch relations from this list.
 */
export async function findCheckedRelation(target: Kysely<any>, state: StateDb, ref: Ref): Promise<IntegrityRelation | null> {
  const key = relationKey(ref)
  return (await relationsToCheck(target, state)).find((r) => relationKey(r) === key) ?? null
}
