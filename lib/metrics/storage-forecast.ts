import { formatBytes } from '../format/units'
import { readSeries } from './series'
import type { StateDb } from '../state/state-db'

export interface StorageForecast {
  currentBytes: number | null
  limitBytes: number | null
  /** Least-squares growth over the basis window; negative when the database shrinks. */
  bytesPerDay: number | null
  /** Days until the limit at this rate; null without a limit, without growth or without history. */
  daysUntilLimit: number | null
  reachesAt: Date | null
  /** One sentence for the page. */
  message: string
  basis: { from: Date | null; to: Date | null; points: number }
}

const DAY_MS = 24 * 3600_000
/** Less history than this says nothing about a trend. */
const MIN_SPAN_MS = 3600_000

/** Fits a line through (time, size) points; the slope in bytes per millisecond. */
export function growthPerMs(points: { at: number; bytes: number }[]): number | null {
  if (points.length < 2) return null
  const n = points.length
  const t0 = points[0].at
  const mx = points.reduce((s, p) => s + (p.at - t0), 0) / n
  const my = points.reduce((s, p) => s + p.bytes, 0) / n
  let sxy = 0
  let sxx = 0
  for (const p of points) {
    sxy += (p.at - t0 - mx) * (p.bytes - my)
    sxx += (p.at - t0 - mx) ** 2
  }
  return sxx > 0 ? sxy / sxx : null
}

/** The forecast from points already read (the pure part, unit-tested on made-up series). */
export function forecastFrom(points: { at: number; bytes: number }[], limitBytes: number | null, now: Date = new Date()): StorageForecast {
  const basis = { from: points[0] ? new Date(points[0].at) : null, to: points.length ? new Date(points[points.length - 1].at) : null, points: points.length }
  const currentBytes = points.length ? points[points.length - 1].bytes : null
  const base = { currentBytes, limitBytes, basis }
  const span = points.length ? points[points.length - 1].at - points[0].at : 0
  const slope = span >= MIN_SPAN_MS ? growthPerMs(points) : null
  const bytesPerDay = slope === null ? null : slope * DAY_MS
  if (currentBytes === null || bytesPerDay === null) {
    return { ...base, bytesPerDay, daysUntilLimit: null, reachesAt: null, message: 'Not enough history yet to see a trend (at least an hour of samples).' }
  }
  const rate = `${bytesPerDay >= 0 ? 'grows' : 'shrinks'} by ${formatBytes(Math.abs(bytesPerDay))} a day`
  if (limitBytes === null) {
    return { ...base, bytesPerDay, daysUntilLimit: null, reachesAt: null, message: `The database ${rate}; set STORAGE_LIMIT_BYTES for a forecast against a limit.` }
  }
  if (currentBytes >= limitBytes) {
    return { ...base, bytesPerDay, daysUntilLimit: 0, reachesAt: now, message: `The database (${formatBytes(currentBytes)}) is past the configured limit of ${formatBytes(limitBytes)}.` }
  }
  if (bytesPerDay <= 0) {
    return { ...base, bytesPerDay, daysUntilLimit: null, reachesAt: null, message: `The database ${rate}: at this rate it does not reach the configured limit of ${formatBytes(limitBytes)}.` }
  }
  const days = (limitBytes - currentBytes) / bytesPerDay
  return {
    ...base,
    bytesPerDay,
    daysUntilLimit: days,
    reachesAt: new Date(now.getTime() + days * DAY_MS),
    message: `At this rate (${rate}) the database reaches the configured limit of ${formatBytes(limitBytes)} in ${days < 10 ? days.toFixed(1) : Math.round(days)} days.`,
  }
}

/** Storage growth over the last 7 days of 5-minute aggregates (and the samples not rolled up yet). */
export async function forecastStorage(state: StateDb, targetKey: string, limitBytes: number | null, now: Date = new Date()): Promise<StorageForecast> {
  const series = await readSeries(state, targetKey, ['dbSizeBytes'], '7d', { now })
  const sizes = series.values.dbSizeBytes!
  const points = series.times.flatMap((at, i) => (sizes[i] === null ? [] : [{ at, bytes: sizes[i]! }]))
  return forecastFrom(points, limitBytes, now)
}
