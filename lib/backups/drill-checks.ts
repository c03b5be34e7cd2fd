import { type Kysely, sql } from 'kysely'
import { countOrphans } from '../integrity/orphans'
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
  /** Counted while the restore still ran (the relation's tables' data were in). */
  early?: true
  error?: string
}

export interface DrillCheckOptions {
  /**
   * The database is a scratch database into which only the restore wrote, the restore has ended
   * and `restoreStatsSettled` said its counts are all in: a plain table's rows are then the rows the
   * restore inserted into it (`pg_stat_get_tuples_inserted`, pg_stat_user_tables.n_tup_ins), read
   * from the statistics instead of counted by a scan of every table. Honest because nothing else
   * writes there: pg_restore only inserts (COPY, or INSERT in plain SQL), creates triggers and
   * rules after the data, and with --exit-on-error (or psql's ON_ERROR_STOP in one transaction) a
   * COPY that fails half-way, whose rows the counter keeps although they were rolled back, fails the
   * restore and so the drill. n_live_tup would not do (ANALYZE, which autovacuum may run on the
   * fresh tables, replaces it with an estimate). Other kinds (materialized views, filled by
   * REFRESH into a new heap; partitioned parents) are counted.
   */
  insertedRows?: boolean
  /** The orphan count of an equal relation, started while the restore ran (`EarlyOrphanScans`). */
  earlyOrphans?: (rel: IntegrityRelation) => Promise<number> | undefined
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

export const tableKey = (schema: string, table: string) => JSON.stringify([schema, table])

interface RestoredTable {
  kind: string
  size: number
  inserted: number
}

/** The counted tables as the restored database has them: their kind, size estimate and the rows inserted into them. */
async function restoredTables(db: Kysely<any>, tables: { schema: string; table: string }[]): Promise<Map<string, RestoredTable>> {
  const { rows } = await sql<{ schema: string; table: string; kind: string; size: number; inserted: number }>`
    select n.nspname as schema, c.relname as table, c.relkind::text as kind, c.relpages::float8 as size,
           pg_stat_get_tuples_inserted(c.oid)::float8 as inserted
    from jsonb_to_recordset(${JSON.stringify(tables.map((t) => ({ s: t.schema, t: t.table })))}::jsonb) as x(s text, t text)
    join pg_namespace n on n.nspname = x.s join pg_class c on c.relnamespace = n.oid and c.relname = x.t
    where c.relkind in ('r', 'p', 'f', 'm', 'v')
  `.execute(db)
  return new Map(rows.map((r) => [tableKey(r.schema, r.table), { kind: r.kind, size: Number(r.size), inserted: Number(r.inserted) }]))
}

type Work = { kind: 'count'; table: TableRowCount; size: number } | { kind: 'orphans'; rel: IntegrityRelation; size: number }

const describe = (rel: IntegrityRelation) => `${rel.schema}.${rel.table} → ${rel.refSchema}.${rel.refTable}`

/** The relations a drill scans: every one but the validated foreign keys (the restore checked those). */
export const needsScan = (rel: IntegrityRelation) => !(rel.source === 'foreign_key' && rel.validated === true)

/**
 * The drill's checks on the restored copy: each counted table's exact rows against the count
 * recorded at backup time, and the orphans of every relation that is not a validated foreign key
 * (an anti-join each: only the orphans pass the join). What is left to scan runs on two
 * connections, largest tables first, so that the last one to finish is a small one.
 */
export async function drillChecks(
  db: Kysely<any>,
  expected: TableRowCount[] | null,
  relations: IntegrityRelation[],
  o: DrillCheckOptions = {},
): Promise<{ tables: DrillTable[]; orphans: DrillOrphans[] }> {
  const counted = expected ?? []
  const scanned = relations.filter(needsScan)
  // One catalog read for the counted tables and the scanned relations' children alike.
  const present = await restoredTables(db, [...counted, ...scanned])
  const tables = new Map<TableRowCount, DrillTable>()
  const orphans = new Map<IntegrityRelation, DrillOrphans>()
  const table = (t: TableRowCount, actual: number | null): DrillTable => ({ schema: t.schema, table: t.table, expected: t.rows, actual, ok: actual === t.rows })
  const orphan = (rel: IntegrityRelation, count: number | null, early: boolean, error?: string): DrillOrphans => ({
    relation: describe(rel),
    source: rel.source,
    validated: rel.validated === true,
    count,
    by: 'scan',
    ...(early ? { early: true as const } : {}),
    ...(error === undefined ? {} : { error }),
  })
  const scanOrphans = async (rel: IntegrityRelation, early?: Promise<number>) => {
    try {
      return orphan(rel, await (early ?? countOrphans(db, rel)), early !== undefined)
    } catch (e) {
      return orphan(rel, null, early !== undefined, (e as Error).message)
    }
  }

  const work: Work[] = []
  for (const t of counted) {
    const r = present.get(tableKey(t.schema, t.table))
    if (!r) tables.set(t, table(t, null))
    else if (o.insertedRows && r.kind === 'r') tables.set(t, table(t, r.inserted))
    else work.push({ kind: 'count', table: t, size: r.size })
  }
  const early: Promise<void>[] = []
  for (const rel of scanned) {
    const started = o.earlyOrphans?.(rel)
    if (started) early.push(scanOrphans(rel, started).then((r) => void orphans.set(rel, r)))
    else work.push({ kind: 'orphans', rel, size: present.get(tableKey(rel.schema, rel.table))?.size ?? 0 })
  }
  work.sort((a, b) => b.size - a.size)
  await Promise.all([
    ...early,
    inParallel(work, 2, async (w) => {
      if (w.kind === 'orphans') orphans.set(w.rel, await scanOrphans(w.rel))
      else {
        const { rows } = await sql<{ n: string }>`select count(*) as n from only ${sql.id(w.table.schema, w.table.table)}`.execute(db)
        tables.set(w.table, table(w.table, Number(rows[0].n)))
      }
    }),
  ])
  return {
    tables: counted.map((t) => tables.get(t)!),
    orphans: relations.map(
      (rel) => orphans.get(rel) ?? { relation: describe(rel), source: rel.source, validated: true, count: 0, by: 'constraint' as const },
    ),
  }
}
