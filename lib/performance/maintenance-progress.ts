import { type Kysely, sql } from 'kysely'

/** One running VACUUM, ANALYZE, CREATE INDEX or REINDEX, ours or autovacuum's, as the progress views report it. */
export interface MaintenanceProgress {
  pid: number
  /** VACUUM, ANALYZE, CREATE INDEX [CONCURRENTLY], REINDEX [CONCURRENTLY]. */
  command: string
  phase: string
  database: string
  /** Names resolve for this database's relations only. */
  schema: string | null
  table: string | null
  index: string | null
  done: number | null
  total: number | null
  unit: 'blocks' | 'tuples' | 'sample blocks' | null
  /** done / total, 0–1; null while the phase has no measure. */
  fraction: number | null
  /** Run by an autovacuum worker rather than a session. */
  autovacuum: boolean
}

/**
 * pg_stat_progress_vacuum, _analyze and _create_index in one list (optionally for one pid). Each
 * view counts in its own unit; `done`/`total` is the measure of the current phase.
 */
export async function readMaintenanceProgress(db: Kysely<any>, opts: { pid?: number } = {}): Promise<MaintenanceProgress[]> {
  const { rows } = await sql<any>`/* dor-db-admin */
    with p as (
      select v.pid, v.datname, v.relid, null::oid as index_relid, 'VACUUM' as command, v.phase,
             case when v.phase = 'vacuuming heap' then v.heap_blks_vacuumed else v.heap_blks_scanned end as done,
             v.heap_blks_total as total, 'blocks' as unit
      from pg_stat_progress_vacuum v
      union all
      select a.pid, a.datname, a.relid, null, 'ANALYZE', a.phase, a.sample_blks_scanned, a.sample_blks_total, 'sample blocks'
      from pg_stat_progress_analyze a
      union all
      select c.pid, c.datname, c.relid, nullif(c.index_relid, 0), c.command, c.phase,
             case when c.blocks_total > 0 then c.blocks_done when c.tuples_total > 0 then c.tuples_done end,
             case when c.blocks_total > 0 then c.blocks_total when c.tuples_total > 0 then c.tuples_total end,
             case when c.blocks_total > 0 then 'blocks' when c.tuples_total > 0 then 'tuples' end
      from pg_stat_progress_create_index c
    )
    select p.pid, p.command, p.phase, p.datname, tn.nspname as schema, t.relname as table, i.relname as index,
           p.done, p.total, p.unit, a.backend_type = 'autovacuum worker' as autovacuum
    from p
    left join pg_stat_activity a on a.pid = p.pid
    left join pg_class t on t.oid = p.relid and p.datname = current_database()
    left join pg_namespace tn on tn.oid = t.relnamespace
    left join pg_class i on i.oid = p.index_relid and p.datname = current_database()
    where (${opts.pid ?? null}::int is null or p.pid = ${opts.pid ?? null})
    order by p.pid
  `.execute(db)
  return rows.map((r) => ({
    pid: r.pid,
    command: r.command,
    phase: r.phase,
    database: r.datname,
    schema: r.schema,
    table: r.table,
    index: r.index,
    done: r.done,
    total: r.total,
    unit: r.total ? r.unit : null,
    fraction: r.total ? Math.min(1, r.done / r.total) : null,
    autovacuum: r.autovacuum === true,
  }))
}
