import { type Kysely, sql } from 'kysely'
import { countOrphans } from '../integrity/orphans'
import { countRowsAndOrphans, parentKeyIsUnique } from '../integrity/rows-and-orphans'
import type { IntegrityRelation } from '../integrity/types'
import type { TableRowCount } from './types'

export interface DrillTable extends Omit<TableRowCount, 'rows'> {
  expected: number
  /** null when the table is missing from the restored database. */
  actual: number | null
  ok: boolean
}

export interface DrillOrphans {
  relation: string
  source: string
  /** A validated foreign key with orphans in a restore means the restore is wrong, not the data. */
  validated: boolean
  count: number | null
  /**
   * 'scan': counted on the restored copy. 'constraint': a foreign key the restored database holds
   * as validated, which PostgreSQL checked against the restored rows when the restore added it
   * (after the data, as pg_dump orders it): no orphan can exist, and scanning again would only
   * double the drill's checking time (measured at scale 500: 7.5 of 14 s).
   */
  by: 'scan' | 'constraint'
  error?: string
}

/** Runs `run` over the items on `width` connections at once, keeping the items' order in the result. */
async function inParallel<T, R>(items: T[], width: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++
        out[i] = await run(items[i])
      }
    }),
  )
  return out
}

const tableKey = (schema: string, table: string) => JSON.stringify([schema, table])

/** The counted tables as the restored database has them: plain or partitioned, and their size estimate. */
async function restoredTables(db: Kysely<any>, tables: TableRowCount[]): Promise<Map<string, { kind: string; size: number }>> {
  const { rows } = await sql<{ schema: string; table: string; kind: string; size: number }>`
    select n.nspname as schema, c.relname as table, c.relkind::text as kind, c.relpages::float8 as size
    from jsonb_to_recordset(${JSON.stringify(tables.map((t) => ({ s: t.schema, t: t.table })))}::jsonb) as x(s text, t text)
    join pg_namespace n on n.nspname = x.s join pg_class c on c.relnamespace = n.oid and c.relname = x.t
    where c.relkind in ('r', 'p', 'f', 'm', 'v')
  `.execute(db)
  return new Map(rows.map((r) => [tableKey(r.schema, r.table), { kind: r.kind, size: Number(r.size) }]))
}

type Work =
  | { kind: 'count'; table: TableRowCount; size: number }
  | { kind: 'both'; table: TableRowCount; rel: IntegrityRelation; size: number }
  | { kind: 'orphans'; rel: IntegrityRelation; size: number }

const describe = (rel: IntegrityRelation) => `${rel.schema}.${rel.table} → ${rel.refSchema}.${rel.refTable}`

/**
 * The drill's checks on the restored copy: each counted table's exact rows against the count
 * recorded at backup time, and the orphans of every relation that is not a validated foreign key.
 * A counted plain table that is the child of such a relation with a unique parent key is read once
 * for both (its count and its orphans, `countRowsAndOrphans`) instead of once for each. The work
 * runs on two connections, largest tables first, so that the last one to finish is a small one.
 */
export async function drillChecks(
  db: Kysely<any>,
  expected: TableRowCount[] | null,
  relations: IntegrityRelation[],
): Promise<{ tables: DrillTable[]; orphans: DrillOrphans[] }> {
  const counted = expected ?? []
  const scanned = relations.filter((rel) => !(rel.source === 'foreign_key' && rel.validated === true))
  // One catalog read for the counted tables and the scanned relations' children alike.
  const present = await restoredTables(db, [...counted, ...scanned.map((r) => ({ schema: r.schema, table: r.table, rows: 0 }))])
  const joined = new Map<IntegrityRelation, TableRowCount>()
  for (const rel of scanned) {
    const t = counted.find((c) => c.schema === rel.schema && c.table === rel.table)
    // With ONLY, as the counts are taken; the same rows as the orphan scan's only for a plain table.
    if (!t || present.get(tableKey(t.schema, t.table))?.kind !== 'r' || [...joined.values()].includes(t)) continue
    if (await parentKeyIsUnique(db, rel)) joined.set(rel, t)
  }
  const both = new Set(joined.values())
  const work: Work[] = [
    ...counted.filter((t) => !both.has(t)).map((t): Work => ({ kind: 'count', table: t, size: present.get(tableKey(t.schema, t.table))?.size ?? 0 })),
    ...scanned.map((rel): Work => {
      const size = present.get(tableKey(rel.schema, rel.table))?.size ?? 0
      const t = joined.get(rel)
      return t ? { kind: 'both', table: t, rel, size } : { kind: 'orphans', rel, size }
    }),
  ].sort((a, b) => b.size - a.size)

  const tables = new Map<TableRowCount, DrillTable>()
  const orphans = new Map<IntegrityRelation, DrillOrphans>()
  const table = (t: TableRowCount, actual: number | null): DrillTable => ({ schema: t.schema, table: t.table, expected: t.rows, actual, ok: actual === t.rows })
  const orphan = (rel: IntegrityRelation, count: number | null, error?: string): DrillOrphans => ({
    relation: describe(rel),
    source: rel.source,
    validated: rel.validated === true,
    count,
    by: 'scan',
    ...(error === undefined ? {} : { error }),
  })
  const countRows = async (t: TableRowCount) => {
    if (!present.has(tableKey(t.schema, t.table))) return table(t, null)
    const { rows } = await sql<{ n: string }>`select count(*) as n from only ${sql.id(t.schema, t.table)}`.execute(db)
    return table(t, Number(rows[0].n))
  }
  const scanOrphans = async (rel: IntegrityRelation) => {
    try {
      return orphan(rel, await countOrphans(db, rel))
    } catch (e) {
      return orphan(rel, null, (e as Error).message)
    }
  }
  await inParallel(work, 2, async (w) => {
    if (w.kind === 'count') tables.set(w.table, await countRows(w.table))
    else if (w.kind === 'orphans') orphans.set(w.rel, await scanOrphans(w.rel))
    else {
      try {
        const r = await countRowsAndOrphans(db, w.rel)
        tables.set(w.table, table(w.table, r.rows))
        orphans.set(w.rel, orphan(w.rel, r.orphans))
      } catch {
        // The joined query failed (a reference that does not cast, say): each on its own, so that the
        // count still comes and the error is the orphan scan's own.
        tables.set(w.table, await countRows(w.table))
        orphans.set(w.rel, await scanOrphans(w.rel))
      }
    }
  })
  return {
    tables: counted.map((t) => tables.get(t)!),
    orphans: relations.map(
      (rel) => orphans.get(rel) ?? { relation: describe(rel), source: rel.source, validated: true, count: 0, by: 'constraint' as const },
    ),
  }
}
