import { type ChartEvent, readChartEvents } from './chart-events'
import { downsample } from './downsample'
import type { MetricName } from './metric-names'
import { latestSample } from './sample-store'
import { type MetricSeries, readSeries, SERIES_RANGES, type SeriesRange } from './series'
import { forecastStorage, type StorageForecast } from './storage-forecast'
import type { StateDb } from '../state/state-db'

/** Every metric the Health page draws. */
export const HEALTH_METRICS = [
  'connectionsActive',
  'connectionsIdle',
  'connectionsIdleInTransaction',
  'connectionsOther',
  'connectionsMax',
  'dashboardPoolInUse',
  'dashboardPoolMax',
  'dashboardPoolWaiting',
  'dashboardFailedQueries',
  'tps',
  'commitsPerSecond',
  'rollbacksPerSecond',
  'cacheHitRatio',
  'indexHitRatio',
  'dbSizeBytes',
  'longestQuerySeconds',
  'blockedSessions',
  'deadlocks',
  'tempBytesPerSecond',
  'walBytesPerSecond',
  'replicationLagSeconds',
  'statementCallsPerSecond',
  'statementMeanMs',
] as const satisfies MetricName[]

export type HealthMetric = (typeof HEALTH_METRICS)[number]

export const HEALTH_RANGES = Object.keys(SERIES_RANGES) as SeriesRange[]

/**
 * Time spans a chart's range is cut into, each drawn as its lowest and highest point: a chart is
 * ~600 px wide, and 30 days at full 5-minute resolution sent 1.2 MB and took seconds to draw
 * (bench/health-page.bench.ts).
 */
export const HEALTH_CHART_BUCKETS = 300

export interface HealthView {
  series: Omit<MetricSeries, 'values' | 'min' | 'max'> & {
    values: Record<HealthMetric, (number | null)[]>
    /** How many samples or aggregate rows (gap markers included) the drawn points stand for. */
    sourcePoints: number
  }
  events: ChartEvent[]
  forecast: StorageForecast
  /** The newest sample's time; null before the first. */
  latestAt: Date | null
  latestQuery: { pid: number; seconds: number; query: string | null } | null
}

/** Four significant digits: what a chart and its tooltip show, at a third of the bytes of a full double. */
function round(v: number | null): number | null {
  return v === null || v === 0 ? v : Number(v.toPrecision(4))
}

/** What the Health page draws for one range: the series at the range's resolution, the markers, and the storage forecast. */
export async function readHealthView(
  state: StateDb,
  targetKey: string,
  range: SeriesRange,
  opts: { now?: Date; intervalSeconds: number; storageLimitBytes: number | null },
): Promise<HealthView> {
  const now = opts.now ?? new Date()
  const [series, latest, forecast] = await Promise.all([
    readSeries(state, targetKey, [...HEALTH_METRICS], range, { now, intervalSeconds: opts.intervalSeconds }),
    latestSample(state, targetKey),
    forecastStorage(state, targetKey, opts.storageLimitBytes, now),
  ])
  const events = await readChartEvents(state, targetKey, series.from, series.to)
  const column = (c: MetricSeries['values'] | undefined) =>
    c && (Object.fromEntries(HEALTH_METRICS.map((m) => [m, c[m] ?? series.times.map(() => null)])) as Record<HealthMetric, (number | null)[]>)
  const shaped = downsample({ times: series.times, values: column(series.values)!, min: column(series.min), max: column(series.max) }, HEALTH_CHART_BUCKETS)
  const values = Object.fromEntries(HEALTH_METRICS.map((m) => [m, shaped.values[m].map(round)])) as Record<HealthMetric, (number | null)[]>
  const q = latest?.details.longestQuery as { pid?: number; seconds?: number; query?: string | null } | null | undefined
  return {
    series: { range: series.range, resolution: series.resolution, stepSeconds: series.stepSeconds, from: series.from, to: series.to, times: shaped.times, values, sourcePoints: series.times.length },
    events,
    forecast,
    latestAt: latest?.takenAt ?? null,
    latestQuery: q && typeof q.pid === 'number' ? { pid: q.pid, seconds: q.seconds ?? 0, query: q.query ? q.query.slice(0, 300) : null } : null,
  }
}
