import type { Counters } from './read-target'

/** The previous sample as far as deltas need it. */
export interface CounterBase {
  at: Date
  postmasterStartAt: Date | null
  statsResetAt: Date | null
  statementsResetAt: Date | null
  counters: Counters
}

export type CounterReset = 'first' | 'restart' | 'stats_reset' | 'statements_reset'

export interface Rates {
  intervalSeconds: number | null
  tps: number | null
  commitsPerSecond: number | null
  rollbacksPerSecond: number | null
  cacheHitRatio: number | null
  indexHitRatio: number | null
  deadlocks: number | null
  tempBytesPerSecond: number | null
  walBytesPerSecond: number | null
  statementCallsPerSecond: number | null
  statementMeanMs: number | null
  /** The dashboard's failed queries since the previous sample (a running total of the state database, so a target's restart does not reset it). */
  dashboardFailedQueries: number | null
  /** Why some rates are missing; null when every counter carried on. */
  reset: CounterReset | null
}

const same = (a: Date | null, b: Date | null) => (a?.getTime() ?? null) === (b?.getTime() ?? null)

/**
 * Rates between two readings of the cumulative counters. A server restart (a new
 * pg_postmaster_start_time) or pg_stat_reset() (a new stats_reset) starts the counters again from
 * zero: the rates across it are unknown, not negative, and the chart shows a gap. A counter that
 * went down without either (an entry evicted from pg_stat_statements, a reset of one table) is
 * treated the same way for that counter alone.
 */
export function deriveRates(prev: CounterBase | null, cur: Omit<CounterBase, 'at'> & { at: Date }, maxGapSeconds = Infinity): Rates {
  const none: Rates = {
    intervalSeconds: null,
    tps: null,
    commitsPerSecond: null,
    rollbacksPerSecond: null,
    cacheHitRatio: null,
    indexHitRatio: null,
    deadlocks: null,
    tempBytesPerSecond: null,
    walBytesPerSecond: null,
    statementCallsPerSecond: null,
    statementMeanMs: null,
    dashboardFailedQueries: null,
    reset: 'first',
  }
  if (!prev) return none
  const seconds = (cur.at.getTime() - prev.at.getTime()) / 1000
  // A previous sample from long ago (the sampler was stopped) would smear a day into one point.
  if (!(seconds > 0) || seconds > maxGapSeconds) return none
  // Kept by the dashboard, not the server: neither a restart nor pg_stat_reset() touches it. Its own
  // reset (a total that went down: a state database started again) is a gap like the others'.
  const dashboardFailedQueries = delta(prev.counters.dashboardFailures ?? null, cur.counters.dashboardFailures ?? null)
  if (!same(prev.postmasterStartAt, cur.postmasterStartAt)) {
    // WAL positions survive a restart; nothing else does.
    return { ...none, intervalSeconds: seconds, walBytesPerSecond: perSecond(prev.counters.walLsn, cur.counters.walLsn, seconds), dashboardFailedQueries, reset: 'restart' }
  }
  const p = prev.counters
  const c = cur.counters
  const statsCarriedOn = same(prev.statsResetAt, cur.statsResetAt)
  const statementsCarriedOn = same(prev.statementsResetAt, cur.statementsResetAt) && delta(p.statementCalls, c.statementCalls) !== null
  const d = (from: number | null, to: number | null) => (statsCarriedOn ? delta(from, to) : null)
  const commits = d(p.xactCommit, c.xactCommit)
  const rollbacks = d(p.xactRollback, c.xactRollback)
  const hit = d(p.blksHit, c.blksHit)
  const read = d(p.blksRead, c.blksRead)
  const idxHit = d(p.idxBlksHit, c.idxBlksHit)
  const idxRead = d(p.idxBlksRead, c.idxBlksRead)
  const temp = d(p.tempBytes, c.tempBytes)
  const calls = statementsCarriedOn ? delta(p.statementCalls, c.statementCalls) : null
  const totalMs = statementsCarriedOn ? delta(p.statementTotalMs, c.statementTotalMs) : null
  return {
    intervalSeconds: seconds,
    tps: commits !== null && rollbacks !== null ? (commits + rollbacks) / seconds : null,
    commitsPerSecond: commits !== null ? commits / seconds : null,
    rollbacksPerSecond: rollbacks !== null ? rollbacks / seconds : null,
    cacheHitRatio: ratio(hit, read),
    indexHitRatio: ratio(idxHit, idxRead),
    deadlocks: d(p.deadlocks, c.deadlocks),
    tempBytesPerSecond: temp !== null ? temp / seconds : null,
    walBytesPerSecond: perSecond(p.walLsn, c.walLsn, seconds),
    statementCallsPerSecond: calls !== null ? calls / seconds : null,
    statementMeanMs: calls !== null && totalMs !== null && calls > 0 ? totalMs / calls : null,
    dashboardFailedQueries,
    reset: !statsCarriedOn ? 'stats_reset' : !statementsCarriedOn && c.statementCalls !== null && p.statementCalls !== null ? 'statements_reset' : null,
  }
}

function delta(from: number | null, to: number | null): number | null {
  if (from === null || to === null) return null
  const d = to - from
  return d >= 0 ? d : null
}

function perSecond(from: number | null, to: number | null, seconds: number): number | null {
  const d = delta(from, to)
  return d === null ? null : d / seconds
}

/** hit / (hit + read) over the interval; unknown when nothing was read at all. */
function ratio(hit: number | null, read: number | null): number | null {
  if (hit === null || read === null || hit + read === 0) return null
  return hit / (hit + read)
}
