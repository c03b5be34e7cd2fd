import type { MetricUnit } from '../metrics/metric-names'
import { formatBytes, formatDuration, formatMs } from './units'

/** A value with its unit, as tooltips and summaries show it. */
export function formatValue(v: number, unit: MetricUnit): string {
  switch (unit) {
    case 'ratio':
      return `${(v * 100).toFixed(v >= 0.9995 && v < 1 ? 2 : 1)} %`
    case 'bytes':
      return formatBytes(v)
    case 'bytes_per_second':
      return `${formatBytes(v)}/s`
    case 'seconds':
      return v < 60 ? `${v < 10 ? v.toFixed(1) : Math.round(v)} s` : formatDuration(v)
    case 'milliseconds':
      return v < 1 ? `${v.toFixed(2)} ms` : formatMs(v)
    case 'per_second':
      return `${v < 10 ? v.toFixed(2) : Math.round(v)}/s`
    default:
      return Number.isInteger(v) ? String(v) : v.toFixed(1)
  }
}
