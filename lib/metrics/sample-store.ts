import { METRIC_NAMES, type MetricValues } from './metric-names'
import type { CounterReset } from './rates'
import type { Counters, TargetReading } from './read-target'
import type { StateDb, StateRow } from '../state/state-db'

/** One stored sample of a target. */
export interface MetricSample {
  id: number
  targetKey: string
  takenAt: Date
  metrics: MetricValues
  counters: Counters
  postmasterStartAt: Date | null
  statsResetAt: Date | null
  statementsResetAt: Date | null
  counterReset: CounterReset | null
  /** slowAt: when the database size and index counters were last read (lib/metrics/take-sample.ts). */
  details: { longestQuery?: TargetReading['longestQuery']; slowAt?: string }
  /** The target's time spent answering this sample, in milliseconds. */
  durationMs: number | null
}

export type NewSample = Omit<MetricSample, 'id'>

// The JSON columns hold what insertSample wrote; the generated row types can only say JsonValue.
function toSample(r: StateRow<'metric_sample'>): MetricSample {
  const { statementsResetAt, ...counters } = r.counters as unknown as Counters & { statementsResetAt?: string | null }
  const stored = r.metrics as Record<string, number | null>
  const metrics = Object.fromEntries(METRIC_NAMES.map((n) => [n, stored[n] ?? null])) as MetricValues
  return {
    id: Number(r.id),
    targetKey: r.target_key,
    takenAt: r.taken_at,
    metrics,
    counters,
    postmasterStartAt: r.postmaster_start_at,
    statsResetAt: r.stats_reset_at,
    statementsResetAt: statementsResetAt ? new Date(statementsResetAt) : null,
    counterReset: r.counter_reset as CounterReset | null,
    details: r.details as MetricSample['details'],
    durationMs: r.duration_ms,
  }
}

export async function insertSample(state: StateDb, s: NewSample): Promise<MetricSample> {
  const row = await state
    .insertInto('metric_sample')
    .values({
      target_key: s.targetKey,
      taken_at: s.takenAt,
      metrics: JSON.stringify(s.metrics),
      counters: JSON.stringify({ ...s.counters, statementsResetAt: s.statementsResetAt?.toISOString() ?? null }),
      postmaster_start_at: s.postmasterStartAt,
      stats_reset_at: s.statsResetAt,
      counter_reset: s.counterReset,
      details: JSON.stringify(s.details),
      duration_ms: s.durationMs,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return toSample(row)
}

/** The newest sample of a target taken before `before` (default: any). */
export async function latestSample(state: StateDb, targetKey: string, before?: Date): Promise<MetricSample | null> {
  let q = state.selectFrom('metric_sample').selectAll().where('target_key', '=', targetKey)
  if (before) q = q.where('taken_at', '<', before)
  const row = await q.orderBy('taken_at', 'desc').limit(1).executeTakeFirst()
  return row ? toSample(row) : null
}

/** A target's samples taken in [from, to], oldest first. */
export async function samplesBetween(state: StateDb, targetKey: string, from: Date, to: Date): Promise<MetricSample[]> {
  const rows = await state
    .selectFrom('metric_sample')
    .selectAll()
    .where('target_key', '=', targetKey)
    .where('taken_at', '>=', from)
    .where('taken_at', '<=', to)
    .orderBy('taken_at')
    .execute()
  return rows.map(toSample)
}
