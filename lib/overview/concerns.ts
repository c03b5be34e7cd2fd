import { type Kysely, sql } from 'kysely'
import { show } from '../alerts/judge'
import { plural } from '../format/units'
import type { EffectiveRule } from '../alerts/rule-settings'
import { latestSample } from '../metrics/sample-store'
import { DEAD_ROWS_MIN } from '../performance/tables'
import { THRESHOLDS } from '../performance/thresholds'
import type { StateDb } from '../state/state-db'
import type { HealthLine } from './attention'
import { indexSummary } from './index-summary'

/** A health sample older than this is not "now": the live statistics are read instead (one cheap statement). */
export const FRESH_SAMPLE_SECONDS = 120

/**
 * Unused, duplicate, redundant and invalid indexes, as the Indexes page finds them (catalog and
 * statistics only), counted again only when the index catalogue changed (lib/overview/index-summary.ts).
 */
export async function indexConcern(state: StateDb, target: Kysely<any>, targetKey: string): Promise<HealthLine> {
  const { invalid, duplicate, unused } = await indexSummary(state, target, targetKey)
  const parts = [
    invalid && `${plural(invalid, 'invalid index', 'invalid indexes')}`,
    duplicate && `${plural(duplicate, 'duplicate or redundant index', 'duplicate or redundant indexes')}`,
    unused && `${plural(unused, 'unused index', 'unused indexes')}`,
  ].filter(Boolean)
  const base = { key: 'indexes' as const, href: '/indexes', linkLabel: 'Open Indexes' }
  if (parts.length === 0) return { ...base, status: 'ok', text: 'Indexes: 0 unused, duplicate or invalid.' }
  return { ...base, status: invalid ? 'critical' : 'warning', text: `Indexes: ${parts.join(', ')}.` }
}

/** Tables whose dead rows passed the Tables page's threshold: one statement over pg_stat_user_tables, no table read. */
export async function vacuumConcern(target: Kysely<any>): Promise<HealthLine> {
  const share = THRESHOLDS.deadTupleShare.value
  const { rows } = await sql<{ n: number; worst: string | null }>`/* dor-db-admin */
    select count(*)::int as n,
           (array_agg(format('%I.%I', schemaname, relname) order by n_dead_tup desc))[1] as worst
    from pg_stat_user_tables
    where n_dead_tup >= ${DEAD_ROWS_MIN} and n_dead_tup::float8 / nullif(n_live_tup + n_dead_tup, 0) >= ${share}
  `.execute(target)
  const { n, worst } = rows[0]
  const base = { key: 'vacuum' as const, href: '/tables', linkLabel: 'Open Tables' }
  if (n === 0) return { ...base, status: 'ok', text: `Vacuum: 0 tables with ${show({ unit: 'ratio' }, share)} or more dead rows.` }
  return {
    ...base,
    status: 'warning',
    text: `Vacuum: ${plural(n, 'table needs', 'tables need')} VACUUM (${show({ unit: 'ratio' }, share)} or more dead rows), most in ${worst}.`,
  }
}

/**
 * The database's cache hit ratio since the statistics reset: pg_stat_database alone, flat in the
 * number of tables (the Tables page's per-table ratios read every table's counters: 20 ms at 1,000 tables).
 */
async function databaseCacheHitRatio(target: Kysely<any>): Promise<number | null> {
  const { rows } = await sql<{ ratio: number | null }>`/* dor-db-admin */
    select blks_hit::float8 / nullif(blks_hit + blks_read, 0) as ratio from pg_stat_database where datname = current_database()
  `.execute(target)
  return rows[0]?.ratio ?? null
}

/** The cache hit ratio of the latest fresh sample, else since the statistics reset, judged by the alert rule's threshold. */
export async function cacheConcern(state: StateDb, target: Kysely<any>, targetKey: string, rule: EffectiveRule): Promise<HealthLine> {
  const sample = await latestSample(state, targetKey)
  const fresh = sample && Date.now() - sample.takenAt.getTime() <= FRESH_SAMPLE_SECONDS * 1000 ? sample.metrics.cacheHitRatio : null
  const ratio = fresh ?? (await databaseCacheHitRatio(target))
  const base = { key: 'cache' as const, href: '/health', linkLabel: 'Open Health' }
  if (ratio === null) return { ...base, status: 'ok', text: 'Cache hit ratio: no block read yet.' }
  if (ratio >= rule.threshold) return { ...base, status: 'ok', text: `Cache hit ratio ${show(rule, ratio)} (alert below ${show(rule, rule.threshold)}).` }
  return { ...base, status: 'warning', text: `Cache hit ratio ${show(rule, ratio)}, below ${show(rule, rule.threshold)}: the working set no longer fits in shared_buffers.` }
}
