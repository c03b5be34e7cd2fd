import { sql } from 'kysely'
import type { MetricName } from './metric-names'
import type { StateDb } from '../state/state-db'

export type Resolution = 'raw' | '5m' | '1h'

/** The ranges the Health page offers, and the resolution each is drawn from. */
export const SERIES_RANGES = {
  '1h': { ms: 3600_000, resolution: 'raw' },
  '6h': { ms: 6 * 3600_000, resolution: 'raw' },
  '24h': { ms: 24 * 3600_000, resolution: '5m' },
  '7d': { ms: 7 * 24 * 3600_000, resolution: '5m' },
  '30d': { ms: 30 * 24 * 3600_000, resolution: '5m' },
  '1y': { ms: 365 * 24 * 3600_000, resolution: '1h' },
} as const satisfies Record<string, { ms: number; resolution: Resolution }>

export type SeriesRange = keyof typeof SERIES_RANGES

export function isSeriesRange(v: string): v is SeriesRange {
  return Object.hasOwn(SERIES_RANGES, v)
}

/**
 * Time series on one shared time axis, column-wise (the compact shape for 8,640 points a series).
 * A null is a gap: no sample there, or the metric was unknown (a counter reset). Never a zero.
 */
export interface MetricSeries {
  range: SeriesRange
  resolution: Resolution
  stepSeconds: number
  from: Date
  to: Date
  /** Epoch milliseconds: the sample's time, or the bucket's start. */
  times: number[]
  /** The value, or the bucket's average. */
  values: Partial<Record<MetricName, (number | null)[]>>
  /** Aggregates only: each bucket's highest value (a spike the average hides). */
  max?: Partial<Record<MetricName, (number | null)[]>>
}

export interface SeriesOptions {
  now?: Date
  /** Seconds between raw samples (METRICS_INTERVAL_SECONDS): a longer silence is drawn as a gap. */
  intervalSeconds?: number
}

const STEP: Record<Exclude<Resolution, 'raw'>, number> = { '5m': 300, '1h': 3600 }
const ORIGIN = sql`timestamptz '2000-01-01 00:00:00+00'`

/** The metrics over one of SERIES_RANGES, from the resolution that range is kept at. */
export async function readSeries(state: StateDb, targetKey: string, metrics: MetricName[], range: SeriesRange, opts: SeriesOptions = {}): Promise<MetricSeries> {
  const to = opts.now ?? new Date()
  const { ms, resolution } = SERIES_RANGES[range]
  const from = new Date(to.getTime() - ms)
  if (resolution === 'raw') {
    const step = opts.intervalSeconds ?? 15
    const { rows } = await sql<{ at: Date; metrics: Record<string, number | null> }>`
      select taken_at as at, metrics from metric_sample
      where target_key = ${targetKey} and taken_at >= ${from} and taken_at <= ${to}
      order by taken_at
    `.execute(state)
    const points = rows.map((r) => ({ at: r.at.getTime(), avg: Object.fromEntries(metrics.map((m) => [m, r.metrics[m] ?? null])) }))
    return { range, resolution, stepSeconds: step, from, to, ...withGaps(points, metrics, step, false) }
  }
  const step = STEP[resolution]
  // Finished buckets come from the aggregates; the ones not rolled up yet (the last few minutes)
  // are aggregated from the raw samples here, so the chart reaches the present.
  const { rows } = await sql<{ bucket: Date; metric: MetricName; avg: number; max: number }>`
    with rolled as (
      select bucket, metric, avg, max from metric_aggregate
      where target_key = ${targetKey} and resolution = ${resolution} and metric = any(${metrics}::text[])
        and bucket >= ${from} and bucket <= ${to}
    ), last as (select max(bucket) as bucket from rolled)
    select bucket, metric, avg, max from rolled
    union all
    select date_bin(${`${step} seconds`}::interval, s.taken_at, ${ORIGIN}) as bucket, m.key as metric, avg(m.value::float8), max(m.value::float8)
    from metric_sample s cross join jsonb_each(s.metrics) m
    where s.target_key = ${targetKey} and m.key = any(${metrics}::text[]) and jsonb_typeof(m.value) = 'number'
      and s.taken_at >= greatest(${from}::timestamptz, coalesce((select bucket from last) + ${`${step} seconds`}::interval, '-infinity'))
      and s.taken_at <= ${to}
    group by 1, 2
    order by 1
  `.execute(state)
  const byTime = new Map<number, { at: number; avg: Record<string, number | null>; max: Record<string, number | null> }>()
  for (const r of rows) {
    const at = r.bucket.getTime()
    let p = byTime.get(at)
    if (!p) byTime.set(at, (p = { at, avg: {}, max: {} }))
    p.avg[r.metric] = r.avg
    p.max[r.metric] = r.max
  }
  return { range, resolution, stepSeconds: step, from, to, ...withGaps([...byTime.values()], metrics, step, true) }
}

/** Columns from points, with a null row wherever more than two steps passed without a point. */
function withGaps(
  points: { at: number; avg: Record<string, number | null>; max?: Record<string, number | null> }[],
  metrics: MetricName[],
  stepSeconds: number,
  withMax: boolean,
): Pick<MetricSeries, 'times' | 'values' | 'max'> {
  const times: number[] = []
  const values = Object.fromEntries(metrics.map((m) => [m, [] as (number | null)[]]))
  const max = Object.fromEntries(metrics.map((m) => [m, [] as (number | null)[]]))
  const push = (at: number, p: (typeof points)[number] | null) => {
    times.push(at)
    for (const m of metrics) {
      values[m].push(p?.avg[m] ?? null)
      max[m].push(p?.max?.[m] ?? null)
    }
  }
  let prev: number | null = null
  for (const p of points) {
    if (prev !== null && p.at - prev > 2 * stepSeconds * 1000) push(prev + stepSeconds * 1000, null)
    push(p.at, p)
    prev = p.at
  }
  return withMax ? { times, values, max } : { times, values }
}
