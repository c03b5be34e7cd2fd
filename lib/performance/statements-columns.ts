import { type Kysely, sql } from 'kysely'

/**
 * pg_stat_statements' columns differ by the version of the extension created in the database
 * (which may lag the server's after pg_upgrade until ALTER EXTENSION … UPDATE), so they are read
 * from the view itself rather than guessed from server_version:
 *
 * | extension | server  | what changed                                                                  |
 * |-----------|---------|-------------------------------------------------------------------------------|
 * | 1.7       | ≤ 12    | total_time, min_time, max_time, mean_time, stddev_time                        |
 * | 1.8       | 13      | renamed to total_exec_time, min/max/mean/stddev_exec_time; plans, *_plan_time, wal_* |
 * | 1.9       | 14      | toplevel; pg_stat_statements_info (dealloc, stats_reset)                      |
 * | 1.10      | 15, 16  | temp_blk_read_time, temp_blk_write_time, jit_*                                |
 * | 1.11      | 17      | blk_read_time/blk_write_time became shared_blk_*_time (+ local_blk_*_time); stats_since, minmax_stats_since; jit_deform_*; reset(…, minmax_only) |
 *
 * This module reads only columns present in every version from 1.8 on (and 1.7's timing names),
 * which is what the table above is for. Tested on 15 (1.10).
 */
export interface StatementsColumns {
  version: string
  /** Timing columns: *_exec_time from 1.8 (PostgreSQL 13), *_time before. */
  totalMs: string
  meanMs: string
  minMs: string
  maxMs: string
  stddevMs: string
  /** 1.9+: false for statements run inside functions (with pg_stat_statements.track = all). */
  toplevel: boolean
  /** 1.9+: the view with dealloc and stats_reset. */
  info: boolean
  /** 1.11+: when each entry started collecting. */
  statsSince: boolean
}

export function columnsFor(version: string, present: readonly string[]): StatementsColumns {
  const has = new Set(present)
  const exec = has.has('total_exec_time')
  return {
    version,
    totalMs: exec ? 'total_exec_time' : 'total_time',
    meanMs: exec ? 'mean_exec_time' : 'mean_time',
    minMs: exec ? 'min_exec_time' : 'min_time',
    maxMs: exec ? 'max_exec_time' : 'max_time',
    stddevMs: exec ? 'stddev_exec_time' : 'stddev_time',
    toplevel: has.has('toplevel'),
    info: false,
    statsSince: has.has('stats_since'),
  }
}

export async function readStatementsColumns(db: Kysely<any>, schema: string, version: string): Promise<StatementsColumns> {
  const { rows } = await sql<{ columns: string[] | null; info: boolean }>`/* dor-db-admin */
    select (select array_agg(a.attname::text order by a.attnum) from pg_attribute a
             where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped) as columns,
           exists (select 1 from pg_class i where i.relname = 'pg_stat_statements_info' and i.relnamespace = n.oid) as info
    from pg_namespace n join pg_class c on c.relnamespace = n.oid and c.relname = 'pg_stat_statements'
    where n.nspname = ${schema}
  `.execute(db)
  return { ...columnsFor(version, rows[0]?.columns ?? []), info: rows[0]?.info ?? false }
}
