import { type Kysely, type RawBuilder, sql } from 'kysely'
import type { IntegrityRelation } from './types'

type Ref = Pick<IntegrityRelation, 'schema' | 'table' | 'columns' | 'refSchema' | 'refTable' | 'refColumns' | 'matchFull' | 'collations' | 'casts' | 'childOnly' | 'parentOnly'>

/** A table in FROM, with ONLY when its inheritance children must be left out. */
export function tableRef(schema: string, table: string, only?: boolean) {
  return only ? sql`only ${sql.id(schema, table)}` : sql.id(schema, table)
}

/** The child's reference equals the parent's key, column by column (with the key's collation and type where they differ). */
export function parentMatches(rel: Ref, child = 'c', parent = 'p'): RawBuilder<boolean> {
  const matches = rel.columns.map((col, i) => {
    const coll = rel.collations?.[i]
    const cast = rel.casts?.[i]
    const typed = cast ? sql`${sql.id(child, col)}::${sql.id(cast[0], cast[1])}` : sql.id(child, col)
    const value = coll ? sql`${typed} collate ${sql.id(coll[0], coll[1])}` : typed
    return sql`${sql.id(parent, rel.refColumns[i])} = ${value}`
  })
  return sql<boolean>`${sql.join(matches, sql` and `)}`
}

/** Which references are orphans, given a condition that is true when the reference has no parent row. */
export function orphanWhen(rel: Ref, noParent: RawBuilder<boolean>, child = 'c'): RawBuilder<boolean> {
  const notNull = rel.columns.map((col) => sql`${sql.id(child, col)} is not null`)
  if (rel.matchFull && rel.columns.length > 1) {
    const allNull = rel.columns.map((col) => sql`${sql.id(child, col)} is null`)
    return sql<boolean>`not (${sql.join(allNull, sql` and `)}) and (not (${sql.join(notNull, sql` and `)}) or ${noParent})`
  }
  return sql<boolean>`${sql.join(notNull, sql` and `)} and ${noParent}`
}

/**
 * Rows of the child whose reference is complete (no NULL column: NULL is never an orphan, as with
 * MATCH SIMPLE foreign keys) and has no parent row. An anti-join the planner can run in parallel.
 * For a MATCH FULL foreign key, a reference with some columns NULL and others not counts as well.
 */
export function orphanCondition(rel: Ref, child = 'c', parent = 'p'): RawBuilder<boolean> {
  const noParent = sql<boolean>`not exists (
    select 1 from ${tableRef(rel.refSchema, rel.refTable, rel.parentOnly)} as ${sql.id(parent)} where ${parentMatches(rel, child, parent)}
  )`
  return orphanWhen(rel, noParent, child)
}

export function fromChild(rel: Ref, child = 'c') {
  return sql`${tableRef(rel.schema, rel.table, rel.childOnly)} as ${sql.id(child)}`
}

/** The number of orphan rows, counted in PostgreSQL. */
export async function countOrphans(db: Kysely<any>, rel: Ref): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*) as n from ${fromChild(rel)} where ${orphanCondition(rel)}
  `.execute(db)
  return Number(rows[0].n)
}

export interface OrphanSample {
  /** Column names: the child's key columns (when it has a primary key) then the reference columns. */
  columns: string[]
  rows: (string | null)[][]
}

/** Up to `limit` orphans with their keys and reference values, as text. */
export async function sampleOrphans(db: Kysely<any>, rel: Ref, keyColumns: string[], limit = 100): Promise<OrphanSample> {
  const columns = [...keyColumns, ...rel.columns.filter((c) => !keyColumns.includes(c))]
  const select = columns.map((col, i) => sql`${sql.id('c', col)}::text as ${sql.id('v' + i)}`)
  const order = keyColumns.length ? sql`order by ${sql.join(keyColumns.map((k) => sql.id('c', k)))}` : sql``
  const { rows } = await sql<Record<string, string | null>>`
    select ${sql.join(select)} from ${fromChild(rel)} where ${orphanCondition(rel)} ${order} limit ${Math.min(Math.max(limit, 1), 1000)}
  `.execute(db)
  return { columns, rows: rows.map((r) => columns.map((_, i) => r['v' + i])) }
}
