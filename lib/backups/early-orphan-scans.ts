import { type Kysely, sql } from 'kysely'
import { countOrphans, fromChild, orphanCondition } from '../integrity/orphans'
import type { IntegrityRelation } from '../integrity/types'
import { needsScan, tableKey } from './drill-checks'
import { workMemForWholeHash } from './hash-memory'
import type { TocEntry } from './toc'

/** Everything a relation's orphan count depends on: equal keys, equal counts. */
const scanKey = (r: IntegrityRelation) =>
  JSON.stringify([r.schema, r.table, r.columns, r.refSchema, r.refTable, r.refColumns, r.matchFull ?? false, r.collations ?? null, r.casts ?? null, r.childOnly ?? false, r.parentOnly ?? false])

// Entries whose building reads every row of their table: the first of them to finish has set the
// hint bits of the restored rows, which the drill's scan would otherwise set (and write) itself.
const READERS = new Set(['INDEX', 'CONSTRAINT', 'CHECK CONSTRAINT', 'FK CONSTRAINT'])

interface Plan {
  relations: IntegrityRelation[]
  /** Every table of the restored database (its pre-data is in before any data), for naming the data entries. */
  tables: { schema: string; table: string; kind: string }[]
}

/**
 * A drill's orphan scans started while its restore still runs. A parallel pg_restore loads the
 * large tables first and then builds their indexes and adds the constraints, often with one core
 * idle (measured at scale 500: `agenda_item`'s COPY alone for 10 s, its primary key and foreign key
 * alone for the last 6 s): a scan of two tables whose data are in (committed; the restore never
 * changes them again) counts what a scan after the restore would, so it may as well run then.
 * A table is ready once its data are in and the first of its indexes or constraints is built (if it
 * has any): that build read every row and set its hint bits, which the first reader of a restored
 * table sets and writes back (measured: 1.29 s of CPU for the first count(*) of 5 million fresh
 * rows, 0.8 s for the next), and the scan does not compete with the index builds that follow the
 * data of a large table on both cores.
 * Only the accepted soft relations between plain tables start early: the foreign keys and the
 * suggestions depend on constraints the restore has not added yet. One scan at a time, without
 * parallel workers, so that the restore keeps its core, with the memory to keep a modest hash whole
 * (`workMemForWholeHash`). The drill uses a result only for a relation equal to one it would scan
 * after the restore; a failed restore fails the drill anyway.
 */
export class EarlyOrphanScans {
  private plan: Promise<Plan | null> | undefined
  private readonly ready = new Set<string>()
  /** Tables whose data are in, and the entries of the restore that will read them first. */
  private readonly readers = new Map<string, Set<number>>()
  private readonly finished = new Set<number>()
  private readonly started = new Map<string, Promise<number>>()
  private queue: Promise<unknown> = Promise.resolve()
  private stopped = false

  constructor(
    private readonly db: Kysely<any>,
    private readonly softRelations: () => Promise<IntegrityRelation[]>,
  ) {}

  /** pg_restore has finished an entry of the archive (`toc`). */
  itemFinished(entry: TocEntry, toc: TocEntry[]): void {
    if (this.stopped) return
    this.plan ??= this.load().catch(() => null)
    void this.plan.then((plan) => {
      if (!plan || this.stopped) return
      this.finished.add(entry.id)
      if (entry.desc === 'TABLE DATA') {
        // The list's "TABLE DATA schema table owner" splits at spaces that names may hold too: an
        // entry that more than one table's name fits starts nothing (its relations wait for the end).
        const fits = plan.tables.filter((t) => entry.line === `TABLE DATA ${t.schema} ${t.table}` || entry.line.startsWith(`TABLE DATA ${t.schema} ${t.table} `))
        if (fits.length !== 1) return
        const readers = toc.filter((e) => READERS.has(e.desc) && e.deps.some((d) => entry.deps.includes(d))).map((e) => e.id)
        const key = tableKey(fits[0].schema, fits[0].table)
        if (readers.length === 0 || readers.some((id) => this.finished.has(id))) this.ready.add(key)
        else this.readers.set(key, new Set(readers))
      } else {
        for (const [key, ids] of this.readers) {
          if (!ids.has(entry.id)) continue
          this.readers.delete(key)
          this.ready.add(key)
        }
      }
      for (const rel of plan.relations) {
        const key = scanKey(rel)
        if (this.started.has(key) || !this.ready.has(tableKey(rel.schema, rel.table)) || !this.ready.has(tableKey(rel.refSchema, rel.refTable))) continue
        const run = this.queue.then(() => this.scan(rel))
        run.catch(() => {})
        this.queue = run.catch(() => {})
        this.started.set(key, run)
      }
    })
  }

  /** No more scans start: the restore is over and the drill scans what is left itself. */
  stop(): void {
    this.stopped = true
  }

  /** The count of an early scan of a relation equal to `rel`, if one started. */
  resultFor(rel: IntegrityRelation): Promise<number> | undefined {
    return this.started.get(scanKey(rel))
  }

  /** Waits for the scans under way (before the drill closes its connections), whatever their outcome. */
  async settle(): Promise<void> {
    this.stop()
    await Promise.allSettled([...this.started.values()])
  }

  private async load(): Promise<Plan> {
    const [relations, { rows: tables }] = await Promise.all([
      this.softRelations(),
      sql<{ schema: string; table: string; kind: string }>`
        select n.nspname as schema, c.relname as table, c.relkind::text as kind
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p', 'f', 'm') and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
      `.execute(this.db),
    ])
    const plain = new Set(tables.filter((t) => t.kind === 'r').map((t) => tableKey(t.schema, t.table)))
    // A partitioned table's rows arrive in its partitions' entries: those relations wait for the end.
    const early = relations.filter((r) => r.source === 'soft' && needsScan(r) && plain.has(tableKey(r.schema, r.table)) && plain.has(tableKey(r.refSchema, r.refTable)))
    return { relations: early, tables }
  }

  private scan(rel: IntegrityRelation): Promise<number> {
    return this.db.connection().execute(async (conn) => {
      await sql`set max_parallel_workers_per_gather = 0`.execute(conn)
      try {
        const [{ rows: plan }, { rows: mem }] = await Promise.all([
          sql<{ 'QUERY PLAN': unknown }>`explain (format json) select count(*) as n from ${fromChild(rel)} where ${orphanCondition(rel)}`.execute(conn),
          sql<{ kb: number; mult: number }>`select pg_size_bytes(current_setting('work_mem')) / 1024 as kb, current_setting('hash_mem_multiplier')::float8 as mult`.execute(conn),
        ])
        const kb = workMemForWholeHash(plan[0]['QUERY PLAN'], Number(mem[0].kb), Number(mem[0].mult))
        if (kb !== null) await sql`select set_config('work_mem', ${`${kb}kB`}, false)`.execute(conn)
        return await countOrphans(conn, rel)
      } finally {
        await sql`reset max_parallel_workers_per_gather; reset work_mem`.execute(conn).catch(() => {})
      }
    })
  }
}
