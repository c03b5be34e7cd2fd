import { type Kysely, sql } from 'kysely'
import { type TableBloat, readTableBloat } from './table-bloat'
import { THRESHOLDS, type ThresholdName, XID_STOP_MARGIN, XID_WRAPAROUND } from './thresholds'

/** Fewer dead rows than this never make a table worth a VACUUM warning, whatever their share. */
export const DEAD_ROWS_MIN = 1000

/** A table's activity and upkeep: the runbook's n_tup_ins/upd/del, sizes, vacuum and analyze. */
export interface TableStats {
  oid: number
  schema: string
  table: string
  qualifiedTable: string
  inserts: number
  updates: number
  deletes: number
  hotUpdates: number
  /** Share of updates that were HOT (no index touched); null without updates. */
  hotShare: number | null
  liveRows: number
  deadRows: number
  /** dead / (live + dead); null for an empty table. */
  deadShare: number | null
  modifiedSinceAnalyze: number
  lastVacuum: Date | null
  lastAutovacuum: Date | null
  lastAnalyze: Date | null
  lastAutoanalyze: Date | null
  vacuumCount: number
  autovacuumCount: number
  analyzeCount: number
  autoanalyzeCount: number
  seqScans: number
  seqRowsRead: number
  indexScans: number | null
  indexRowsFetched: number | null
  /** Heap only; TOAST; all indexes; everything together. */
  heapBytes: number
  toastBytes: number
  indexBytes: number
  totalBytes: number
  /** Transactions since the table (or its TOAST table) was last frozen. */
  xidAge: number
  /** Transactions left before PostgreSQL stops assigning IDs to protect against wraparound. */
  xidLeft: number
  /** Past autovacuum_freeze_max_age: an anti-wraparound autovacuum is due or running. */
  freezeDue: boolean
  bloat: TableBloat | null
  /** What the page should point out, each with the threshold it was judged by. */
  warnings: { threshold: ThresholdName | 'autovacuum_freeze_max_age'; message: string }[]
}

export interface TablesReport {
  tables: TableStats[]
  freezeMaxAge: number
  statsResetAt: Date | null
  limitations: string[]
}

/** pg_stat_user_tables with sizes, freeze age and the bloat estimate: statistics only, no table is read. */
export async function listTables(db: Kysely<any>, opts: { schema?: string; table?: string } = {}): Promise<TablesReport> {
  const [{ rows }, bloat, reset] = await Promise.all([
    sql<any>`/* dor-db-admin */
      select st.relid as oid, st.schemaname as schema, st.relname as table, format('%I.%I', st.schemaname, st.relname) as qualified_table,
             st.n_tup_ins, st.n_tup_upd, st.n_tup_del, st.n_tup_hot_upd, st.n_live_tup, st.n_dead_tup, st.n_mod_since_analyze,
             st.last_vacuum, st.last_autovacuum, st.last_analyze, st.last_autoanalyze,
             st.vacuum_count, st.autovacuum_count, st.analyze_count, st.autoanalyze_count,
             st.seq_scan, st.seq_tup_read, st.idx_scan, st.idx_tup_fetch,
             z.heap_bytes, z.toast_bytes, z.index_bytes, z.heap_bytes + z.map_bytes + z.toast_bytes + z.index_bytes as total_bytes,
             greatest(age(c.relfrozenxid), coalesce(age(tc.relfrozenxid), 0)) as xid_age,
             current_setting('autovacuum_freeze_max_age')::int8 as freeze_max_age
      from pg_stat_user_tables st
      join pg_class c on c.oid = st.relid
      left join pg_class tc on tc.oid = c.reltoastrelid
      -- Each size once per table (offset 0 keeps the subquery from being folded into the select
      -- list): pg_total_relation_size beside its parts measured the TOAST table and every index
      -- twice, and the sort a third time, which tripled the query on a thousand tables. The sum
      -- of the parts is pg_total_relation_size.
      cross join lateral (
        select pg_relation_size(c.oid) as heap_bytes,
               pg_relation_size(c.oid, 'fsm') + pg_relation_size(c.oid, 'vm') + pg_relation_size(c.oid, 'init') as map_bytes,
               coalesce(pg_total_relation_size(nullif(c.reltoastrelid, 0)), 0) as toast_bytes,
               pg_indexes_size(c.oid) as index_bytes
        offset 0
      ) z
      where c.relkind in ('r', 'm')
        and (${opts.schema ?? null}::text is null or st.schemaname = ${opts.schema ?? null})
        and (${opts.table ?? null}::text is null or st.relname = ${opts.table ?? null})
      order by total_bytes desc, st.schemaname, st.relname
    `.execute(db),
    readTableBloat(db, opts),
    sql<{ stats_reset: Date | null }>`/* dor-db-admin */ select stats_reset from pg_stat_database where datname = current_database()`.execute(db),
  ])
  const bloatByOid = new Map(bloat.tables.map((b) => [b.oid, b]))
  const freezeMaxAge = rows[0]?.freeze_max_age ?? 200_000_000
  const tables = rows.map((r): TableStats => {
    const dead = r.n_dead_tup ?? 0
    const live = r.n_live_tup ?? 0
    const deadShare = live + dead > 0 ? dead / (live + dead) : null
    const xidLeft = XID_WRAPAROUND - XID_STOP_MARGIN - r.xid_age
    const b = bloatByOid.get(Number(r.oid)) ?? null
    const warnings: TableStats['warnings'] = []
    if (deadShare !== null && deadShare >= THRESHOLDS.deadTupleShare.value && dead >= DEAD_ROWS_MIN) {
      warnings.push({
        threshold: 'deadTupleShare',
        message: `${Math.round(deadShare * 100)} % of its rows are dead: VACUUM it, and check why autovacuum has not (long transactions hold dead rows back).`,
      })
    }
    if (r.xid_age >= freezeMaxAge) {
      warnings.push({
        threshold: 'autovacuum_freeze_max_age',
        message: `Its oldest unfrozen transaction is ${r.xid_age} old, past autovacuum_freeze_max_age (${freezeMaxAge}): an anti-wraparound VACUUM is due.`,
      })
    }
    if (xidLeft <= THRESHOLDS.xidShutdownMargin.value) {
      warnings.push({
        threshold: 'xidShutdownMargin',
        message: `Only ${xidLeft} transactions are left before PostgreSQL stops accepting writes: VACUUM (FREEZE) it now.`,
      })
    }
    if (b?.bloatBytes !== null && b?.bloatBytes !== undefined && b.bloatBytes >= THRESHOLDS.bloatBytes.value) {
      warnings.push({
        threshold: 'bloatBytes',
        message: `About ${Math.round(b.bloatBytes / 1024 / 1024)} MB (${Math.round((b.bloatShare ?? 0) * 100)} %) is estimated to be bloat: VACUUM makes it reusable; only VACUUM FULL or pg_repack give it back to the disk.`,
      })
    }
    return {
      oid: Number(r.oid),
      schema: r.schema,
      table: r.table,
      qualifiedTable: r.qualified_table,
      inserts: r.n_tup_ins ?? 0,
      updates: r.n_tup_upd ?? 0,
      deletes: r.n_tup_del ?? 0,
      hotUpdates: r.n_tup_hot_upd ?? 0,
      hotShare: r.n_tup_upd > 0 ? r.n_tup_hot_upd / r.n_tup_upd : null,
      liveRows: live,
      deadRows: dead,
      deadShare,
      modifiedSinceAnalyze: r.n_mod_since_analyze ?? 0,
      lastVacuum: r.last_vacuum,
      lastAutovacuum: r.last_autovacuum,
      lastAnalyze: r.last_analyze,
      lastAutoanalyze: r.last_autoanalyze,
      vacuumCount: r.vacuum_count ?? 0,
      autovacuumCount: r.autovacuum_count ?? 0,
      analyzeCount: r.analyze_count ?? 0,
      autoanalyzeCount: r.autoanalyze_count ?? 0,
      seqScans: r.seq_scan ?? 0,
      seqRowsRead: r.seq_tup_read ?? 0,
      indexScans: r.idx_scan,
      indexRowsFetched: r.idx_tup_fetch,
      heapBytes: r.heap_bytes,
      toastBytes: r.toast_bytes,
      indexBytes: r.index_bytes,
      totalBytes: r.total_bytes,
      xidAge: r.xid_age,
      xidLeft,
      freezeDue: r.xid_age >= freezeMaxAge,
      bloat: b,
      warnings,
    }
  })
  return { tables, freezeMaxAge, statsResetAt: reset.rows[0]?.stats_reset ?? null, limitations: bloat.limitations }
}

export interface CacheHitRatios {
  /** pg_stat_database blks_hit / (hit + read) for this database; null before any block was read. */
  database: number | null
  tables: number | null
  indexes: number | null
  threshold: number
}

/** pghero's cache hit rates: below 99 % the working set no longer fits in shared_buffers. */
export async function readCacheHitRatios(db: Kysely<any>): Promise<CacheHitRatios> {
  const { rows } = await sql<{ database: number | null; tables: number | null; indexes: number | null }>`/* dor-db-admin */
    select (select blks_hit::float8 / nullif(blks_hit + blks_read, 0) from pg_stat_database where datname = current_database()) as database,
           (select sum(heap_blks_hit)::float8 / nullif(sum(heap_blks_hit) + sum(heap_blks_read), 0) from pg_statio_user_tables) as tables,
           (select sum(idx_blks_hit)::float8 / nullif(sum(idx_blks_hit) + sum(idx_blks_read), 0) from pg_statio_user_indexes) as indexes
  `.execute(db)
  return { ...rows[0], threshold: THRESHOLDS.cacheHitRatio.value }
}
