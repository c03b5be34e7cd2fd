import { sql } from 'kysely'
import type { StateDb } from '../state/state-db'
import { queryidParam } from './query-stats'

export interface QueryStatPoint {
  /** End of the interval, ms since the epoch. */
  t: number
  /** Length of the interval in seconds. */
  seconds: number
  calls: number
  callsPerMinute: number
  totalMs: number
  /** Mean execution time over the interval's calls. */
  meanMs: number
  rows: number
}

/** One statement's stored deltas in [from, to], oldest first. */
export async function queryStatHistory(state: StateDb, targetKey: string, queryid: string, from: Date, to: Date): Promise<QueryStatPoint[]> {
  const rows = await state
    .selectFrom('query_stat_sample')
    .select(['since', 'taken_at', 'calls', 'total_ms', 'rows'])
    .where('target_key', '=', targetKey)
    .where('queryid', '=', queryidParam(queryid))
    .where('taken_at', '>=', from)
    .where('taken_at', '<=', to)
    .orderBy('taken_at')
    .execute()
  return rows.map((r) => {
    const seconds = (r.taken_at.getTime() - r.since.getTime()) / 1000
    return {
      t: r.taken_at.getTime(),
      seconds,
      calls: r.calls,
      callsPerMinute: seconds > 0 ? (r.calls * 60) / seconds : 0,
      totalMs: r.total_ms,
      meanMs: r.calls > 0 ? r.total_ms / r.calls : 0,
      rows: r.rows,
    }
  })
}

export interface PeriodStats {
  from: Date
  to: Date
  calls: number
  totalMs: number
  /** Null when the statement was not recorded in the period. */
  meanMs: number | null
  /** Readings that kept this statement. */
  intervals: number
}

export interface PeriodComparison {
  current: PeriodStats
  previous: PeriodStats
  /** current / previous, null where the previous period has nothing to compare with. */
  meanChange: number | null
  callsChange: number | null
}

/**
 * The statement's calls and mean time over the last `periodMs` against the equal period before it,
 * from the stored deltas (an interval counts in the period its reading ends in).
 */
export async function compareQueryPeriods(state: StateDb, targetKey: string, queryid: string, periodMs: number, now: Date = new Date()): Promise<PeriodComparison> {
  const mid = new Date(now.getTime() - periodMs)
  const start = new Date(now.getTime() - 2 * periodMs)
  const { rows } = await sql<{ current: boolean; calls: number; total_ms: number; intervals: number }>`
    select taken_at > ${mid} as current, sum(calls)::float8 as calls, sum(total_ms) as total_ms, count(*)::int as intervals
    from query_stat_sample
    where target_key = ${targetKey} and queryid = ${queryidParam(queryid)} and taken_at > ${start} and taken_at <= ${now}
    group by 1
  `.execute(state)
  const period = (current: boolean, from: Date, to: Date): PeriodStats => {
    const r = rows.find((x) => x.current === current)
    return { from, to, calls: r?.calls ?? 0, totalMs: r?.total_ms ?? 0, meanMs: r && r.calls > 0 ? r.total_ms / r.calls : null, intervals: r?.intervals ?? 0 }
  }
  const current = period(true, mid, now)
  const previous = period(false, start, mid)
  return {
    current,
    previous,
    meanChange: current.meanMs !== null && previous.meanMs ? current.meanMs / previous.meanMs : null,
    callsChange: previous.calls > 0 ? current.calls / previous.calls : null,
  }
}
