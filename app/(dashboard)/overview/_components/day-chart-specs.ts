import type { HealthMetric } from '@/lib/metrics/health-view'
import type { MetricUnit } from '@/lib/metrics/metric-names'

/** The Overview's four charts of the last 24 h (issue 15): load, throughput, cache and the longest query. */
export const DAY_CHARTS: { metric: HealthMetric; title: string; unit: MetricUnit }[] = [
  { metric: 'connectionsActive', title: 'Active connections', unit: 'count' },
  { metric: 'tps', title: 'Transactions per second', unit: 'per_second' },
  { metric: 'cacheHitRatio', title: 'Cache hit ratio', unit: 'ratio' },
  { metric: 'longestQuerySeconds', title: 'Longest running query', unit: 'seconds' },
]
