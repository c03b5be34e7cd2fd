import { type Kysely, sql } from 'kysely'
import { z } from 'zod'
import { DASHBOARD_SQL_TAG } from '../performance/access'
import { readStatementsColumns } from '../performance/statements-columns'
import type { StateDb, StateRow } from '../state/state-db'

/** How often the sampler reads pg_stat_statements for the query-stats history: the first sample of each 5-minute bucket. */
export const QUERY_STATS_INTERVAL_MS = 5 * 60_000
/** The statements kept per reading, by total execution time in the interval (pghero keeps every one; this bounds the size). */
export const QUERY_STATS_TOP = 100

/** Cumulative counters of one queryid, summed over its roles and nesting levels: [calls, total_ms, rows, shared_blks_hit, shared_blks_read]. */
export type StatCounters = [number, number, number, number, number]

export interface StatementsReading {
  at: Date
  postmasterStartAt: Date | null
  /** pg_stat_statements_info.stats_reset (extension 1.9, PostgreSQL 14+); null before. */
  statsResetAt: Date | null
  counters: Record<string, StatCounters>
  /** queryids with an entry (re)created after `since` (extension 1.11's stats_since), whose counters started within the interval. */
  startedAfter?: (since: Date) => Set<string>
}

export interface QueryStatDelta {
  queryid: string
  calls: number
  totalMs: number
  rows: number
  sharedBlksHit: number
  sharedBlksRead: number
}

/** Why a reading stored no deltas: no earlier reading, the server restarted, or the statistics were reset. */
export type StatsRestart = 'first' | 'restart' | 'statements_reset'

export interface Baseline {
  takenAt: Date
  postmasterStartAt: Date | null
  statsResetAt: Date | null
  counters: Record<string, StatCounters>
}

const same = (a: Date | null, b: Date | null) => (a?.getTime() ?? null) === (b?.getTime() ?? null)

/**
 * The deltas between two readings, never negative: after a restart or a reset of the whole view
 * (stats_reset moved) there is no base and nothing is stored; a statement whose counters went down
 * (its entry was reset, or evicted and counted again) starts again from this reading. A statement
 * absent from the base was first counted in the interval, so its counters are its delta. The `top`
 * costliest by time in the interval are kept.
 */
export function queryStatDeltas(base: Baseline | null, now: StatementsReading, top = QUERY_STATS_TOP): { restart: StatsRestart | null; deltas: QueryStatDelta[]; restarted: number } {
  if (!base || now.at <= base.takenAt) return { restart: 'first', deltas: [], restarted: 0 }
  if (!same(base.postmasterStartAt, now.postmasterStartAt)) return { restart: 'restart', deltas: [], restarted: 0 }
  if (!same(base.statsResetAt, now.statsResetAt)) return { restart: 'statements_reset', deltas: [], restarted: 0 }
  const recreated = now.startedAfter?.(base.takenAt) ?? new Set<string>()
  const deltas: QueryStatDelta[] = []
  let restarted = 0
  for (const [queryid, cur] of Object.entries(now.counters)) {
    const prev = base.counters[queryid]
    if (prev && (recreated.has(queryid) || cur.some((v, i) => v < prev[i]))) {
      restarted++
      continue
    }
    const d = prev ? (cur.map((v, i) => v - prev[i]) as StatCounters) : cur
    if (d[0] <= 0) continue
    deltas.push({ queryid, calls: d[0], totalMs: d[1], rows: d[2], sharedBlksHit: d[3], sharedBlksRead: d[4] })
  }
  deltas.sort((a, b) => b.totalMs - a.totalMs || a.queryid.localeCompare(b.queryid))
  return { restart: null, deltas: deltas.slice(0, top), restarted }
}

/**
 * This database's pg_stat_statements per queryid, the dashboard's own statements left out as on
 * the Slow queries page; null when the extension is missing or not loaded.
 */
export async function readStatements(target: Kysely<any>): Promise<StatementsReading | null> {
  const { rows: ext } = await sql<{ schema: string; version: string }>`/* dor-db-admin */
    select n.nspname as schema, e.extversion as version from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'pg_stat_statements'`.execute(target)
  if (!ext[0]) return null
  const { schema, version } = ext[0]
  const cols = await readStatementsColumns(target, schema, version)
  const total = sql.ref(`s.${cols.totalMs}`)
  try {
    const [{ rows: meta }, { rows }] = await Promise.all([
      sql<{ at: Date; started: Date | null; reset: Date | null }>`/* dor-db-admin */
        select now() as at, pg_postmaster_start_time() as started,
               ${cols.info ? sql`(select i.stats_reset from ${sql.id(schema, 'pg_stat_statements_info')} i)` : sql`null::timestamptz`} as reset`.execute(target),
      sql<{ queryid: string; calls: number; total_ms: number; rows: number; hit: number; read: number; since: Date | null }>`/* dor-db-admin */
        select s.queryid::text as queryid, sum(s.calls)::float8 as calls, sum(${total})::float8 as total_ms, sum(s.rows)::float8 as rows,
               sum(s.shared_blks_hit)::float8 as hit, sum(s.shared_blks_read)::float8 as read,
               ${cols.statsSince ? sql`max(s.stats_since)` : sql`null::timestamptz`} as since
        from ${sql.id(schema, 'pg_stat_statements')}(true) s
        where s.dbid = (select d.oid from pg_database d where d.datname = current_database())
          and s.queryid is not null
          and not starts_with(s.query, ${DASHBOARD_SQL_TAG})
        group by s.queryid`.execute(target),
    ])
    const counters: Record<string, StatCounters> = {}
    const since = new Map<string, Date>()
    for (const r of rows) {
      counters[r.queryid] = [r.calls, r.total_ms, r.rows, r.hit, r.read]
      if (r.since) since.set(r.queryid, r.since)
    }
    return {
      at: meta[0].at,
      postmasterStartAt: meta[0].started,
      statsResetAt: meta[0].reset,
      counters,
      startedAfter: (t) => new Set([...since].filter(([, s]) => s > t).map(([q]) => q)),
    }
  } catch (e) {
    // Created but not in shared_preload_libraries: the view raises until the server restarts with it.
    if (/must be loaded via/i.test((e as Error).message ?? '')) return null
    throw e
  }
}

/**
 * A queryid as a bigint parameter: queryids use all 64 bits, so they stay text in this module (the
 * INT8 parser's number would round them) and PostgreSQL casts them; typed as the column reads.
 */
export function queryidParam(queryid: string) {
  return sql<number>`${queryid}::bigint`
}

const storedCounters = z.record(z.string(), z.tuple([z.number(), z.number(), z.number(), z.number(), z.number()])) satisfies z.ZodType<Record<string, StatCounters>>

/**
 * A stored base, or null when its counters are not what sampleQueryStats writes (an older format,
 * a hand edit): no base, as before a first reading, so the next reading stores nothing and replaces it.
 */
function toBaseline(row: StateRow<'query_stat_baseline'>): Baseline | null {
  const counters = storedCounters.safeParse(row.counters)
  if (!counters.success) return null
  return { takenAt: row.taken_at, postmasterStartAt: row.postmaster_start_at, statsResetAt: row.stats_reset_at, counters: counters.data }
}

export async function loadBaseline(state: StateDb, targetKey: string): Promise<Baseline | null> {
  const row = await state.selectFrom('query_stat_baseline').selectAll().where('target_key', '=', targetKey).executeTakeFirst()
  return row ? toBaseline(row) : null
}

/** Forgets a target's base, so that its next reading stores nothing: after a reset the dashboard made itself, which stats_reset does not show for one database. */
export async function forgetQueryStatsBaseline(state: StateDb, targetKey: string): Promise<void> {
  await state.deleteFrom('query_stat_baseline').where('target_key', '=', targetKey).execute()
}

export interface QueryStatsResult {
  takenAt: Date
  restart: StatsRestart | null
  stored: number
  /** Statements whose counters went down, started again from this reading. */
  restarted: number
}

/** Reads pg_stat_statements, stores the deltas since the previous reading and makes this one the base. Null without the extension. */
export async function sampleQueryStats(target: Kysely<any>, state: StateDb, targetKey: string, opts: { top?: number } = {}): Promise<QueryStatsResult | null> {
  const reading = await readStatements(target)
  if (!reading) return null
  return state.transaction().execute(async (tx) => {
    // Locks the base row: two instances sampling at once would otherwise store the same interval twice.
    const locked = await tx.selectFrom('query_stat_baseline').selectAll().where('target_key', '=', targetKey).forUpdate().executeTakeFirst()
    const base = locked ? toBaseline(locked) : null
    const { restart, deltas, restarted } = queryStatDeltas(base, reading, opts.top)
    if (deltas.length) {
      await tx
        .insertInto('query_stat_sample')
        .values(
          deltas.map((d) => ({
            target_key: targetKey,
            since: base!.takenAt,
            taken_at: reading.at,
            queryid: queryidParam(d.queryid),
            calls: d.calls,
            total_ms: d.totalMs,
            rows: d.rows,
            shared_blks_hit: d.sharedBlksHit,
            shared_blks_read: d.sharedBlksRead,
          })),
        )
        .execute()
    }
    const values = { taken_at: reading.at, postmaster_start_at: reading.postmasterStartAt, stats_reset_at: reading.statsResetAt, counters: JSON.stringify(reading.counters) }
    await tx
      .insertInto('query_stat_baseline')
      .values({ target_key: targetKey, ...values })
      .onConflict((oc) => oc.column('target_key').doUpdateSet(values))
      .execute()
    return { takenAt: reading.at, restart, stored: deltas.length, restarted }
  })
}

/** Whether a sample at `at` is the first of its 5-minute bucket since the last reading. */
export async function queryStatsDue(state: StateDb, targetKey: string, at: Date): Promise<boolean> {
  const row = await state.selectFrom('query_stat_baseline').select('taken_at').where('target_key', '=', targetKey).executeTakeFirst()
  if (!row) return true
  const bucket = (t: number) => Math.floor(t / QUERY_STATS_INTERVAL_MS)
  return bucket(at.getTime()) !== bucket(row.taken_at.getTime()) || at.getTime() - row.taken_at.getTime() >= QUERY_STATS_INTERVAL_MS
}

/** Deletes deltas older than the retention, for every target (the 5-minute metrics' retention: these are 5-minute data). */
export async function pruneQueryStats(state: StateDb, retentionMs: number, now: Date = new Date()): Promise<number> {
  const r = await state.deleteFrom('query_stat_sample').where('taken_at', '<', new Date(now.getTime() - retentionMs)).executeTakeFirst()
  return Number(r.numDeletedRows)
}
