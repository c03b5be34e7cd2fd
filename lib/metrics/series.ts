import { sql } from 'kysely'
import type { MetricName } from './metric-names'
import type { StateDb } from '../state/state-db'

export type Resolution = 'raw' | '5m' | '1h'

/** The ranges the Health page offers, in milliseconds. */
export const SERIES_RANGES = {
  '1h': { ms: 3600_000 },
  '6h': { ms: 6 * 3600_000 },
  '24h': { ms: 24 * 3600_000 },
  '7d': { ms: 7 * 24 * 3600_000 },
  '30d': { ms: 30 * 24 * 3600_000 },
  '1y': { ms: 365 * 24 * 3600_000 },
} as const satisfies Record<string, { ms: number }>

const STEP: Record<Exclude<Resolution, 'raw'>, number> = { '5m': 300, '1h': 3600 }

/**
 * Most rows a series is read at: a chart shows a few hundred points (lib/metrics/downsample.ts),
 * and reading 8,640 five-minute rows of 22 metrics for 30 days took seconds (bench/health-page.bench.ts).
 */
export const MAX_ROWS_PER_SERIES = 3000

/**
 * The resolution a range is read at: the finest whose points over the range stay within
 * MAX_ROWS_PER_SERIES, or the coarsest. With samples every 15 s: 1 h and 6 h raw, 24 h and 7 d
 * 5-minute, 30 d and 1 y hourly. Aggregates keep each bucket's min and max, so a coarser tier
 * loses no spike, only its exact time within the bucket.
 */
export function resolutionFor(rangeMs: number, intervalSeconds: number): Resolution {
  if (rangeMs / (intervalSeconds * 1000) <= MAX_ROWS_PER_SERIES) return 'raw'
  return rangeMs / (STEP['5m'] * 1000) <= MAX_ROWS_PER_SERIES ? '5m' : '1h'
}

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
  /** Aggregates only: each bucket's lowest and highest value (a spike the average hides). */
  min?: Partial<Record<MetricName, (number | null)[]>>
  max?: Partial<Record<MetricName, (number | null)[]>>
}

export interface SeriesOptions {
  now?: Date
  /** Seconds between raw samples (METRICS_INTERVAL_SECONDS): a longer silence is drawn as a gap. */
  intervalSeconds?: number
}

const ORIGIN = sql`timestamptz '2000-01-01 00:00:00+00'`

/** The metrics over one of SERIES_RANGES, at the resolution resolutionFor() picks for it. */
export async function readSeries(state: StateDb, targetKey: string, metrics: MetricName[], range: SeriesRange, opts: SeriesOptions = {}): Promise<MetricSeries> {
  const to = opts.now ?? new Date()
  const { ms } = SERIES_RANGES[range]
  const from = new Date(to.getTime() - ms)
  const interval = opts.intervalSeconds ?? 15
  const resolution = resolutionFor(ms, interval)
  if (resolution === 'raw') {
    const step = interval
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
  // One row a bucket with the metrics as arrays: 22 times fewer rows for the driver to build.
  const { rows } = await sql<{ bucket: Date; metric: MetricName[]; avg: number[]; min: number[]; max: number[] }>`
    with rolled as (
      select bucket, metric, avg, min, max from metric_aggregate
      where target_key = ${targetKey} and resolution = ${resolution} and metric = any(${metrics}::text[])
        and bucket >= ${from} and bucket <= ${to}
    ), last as (select max(bucket) as bucket from rolled),
    every as (
    select bucket, metric, avg, min, max from rolled
    union all
    select date_bin(${`${step} seconds`}::interval, s.taken_at, ${ORIGIN}) as bucket, m.key as metric, avg(m.value::float8), min(m.value::float8), max(m.value::float8)
    from metric_sample s cross join jsonb_each(s.metrics) m
    where s.target_key = ${targetKey} and m.key = any(${metrics}::text[]) and jsonb_typeof(m.value) = 'number'
      and s.taken_at >= greatest(${from}::timestamptz, coalesce((select bucket from last) + ${`${step} seconds`}::interval, '-infinity'))
      and s.taken_at <= ${to}
    group by 1, 2
    )
    select bucket, array_agg(metric) as metric, array_agg(avg) as avg, array_agg(min) as min, array_agg(max) as max
    from every group by bucket order by bucket
  `.execute(state)
  const points = rows.map((r): Point => {
    const p = { at: r.bucket.getTime(), avg: {} as Record<string, number>, min: {} as Record<string, number>, max: {} as Record<string, number> }
    r.metric.forEach((m, i) => {
      p.avg[m] = r.avg[i]
      p.min[m] = r.min[i]
      p.max[m] = r.max[i]
    })
    return p
  })
  return { range, resolution, stepSeconds: step, from, to, ...withGaps(points, metrics, step, true) }
}

type Point = { at: number; avg: Record<string, number | null>; min?: Record<string, number | null>; max?: Record<string, number | null> }

/** Columns from points, with a null row wherever more than two steps passed without a point. */
function withGaps(points: Point[], metrics: MetricName[], stepSeconds: number, withRange: boolean): Pick<MetricSeries, 'times' | 'values' | 'min' | 'max'> {
  const times: number[] = []
  const values = Object.fromEntries(metrics.map((m) => [m, [] as (number | null)[]]))
  const min = Object.fromEntries(metrics.map((m) => [m, [] as (number | null)[]]))
  const max = Object.fromEntries(metrics.map((m) => [m, [] as (number | null)[]]))
  const push = (at: number, p: Point | null) => {
    times.push(at)
    for (const m of metrics) {
      values[m].push(p?.avg[m] ?? null)
      min[m].push(p?.min?.[m] ?? null)
      max[m].push(p?.max?.[m] ?? null)
    }
  }
  let prev: number | null = null
  for (const p of points) {
    if (prev !== null && p.at - prev > 2 * stepSeconds * 1000) push(prev + stepSeconds * 1000, null)
    push(p.at, p)
    prev = p.at
  }
  return withRange ? { times, values, min, max } : { times, values }
}
