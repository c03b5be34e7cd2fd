import type { MetricUnit } from '@/lib/metrics/metric-names'
import type { HealthMetric } from '@/lib/metrics/health-view'
import { formatValue } from '@/lib/format/metric-value'

export { formatValue }

export interface ChartLine {
  metric: HealthMetric
  label: string
  colour: string
  dashed?: boolean
}

export interface ChartSpec {
  id: string
  title: string
  unit: MetricUnit
  lines: ChartLine[]
  /** Said under the chart when no line has a value in the range. */
  whenEmpty: string
}

const C = { a: 'var(--accent)', b: 'var(--ok)', c: 'var(--warn-fill)', d: 'var(--bad)', e: 'var(--soft)', f: 'var(--chart-line)' }

/** The Health page's charts, in the runbook's order of concern. */
export const CHARTS: ChartSpec[] = [
  {
    id: 'connections',
    title: 'Connections by state',
    unit: 'count',
    lines: [
      { metric: 'connectionsActive', label: 'active', colour: C.a },
      { metric: 'connectionsIdle', label: 'idle', colour: C.b },
      { metric: 'connectionsIdleInTransaction', label: 'idle in transaction', colour: C.c },
      { metric: 'connectionsOther', label: 'other', colour: C.e },
      { metric: 'connectionsMax', label: 'max_connections', colour: C.f, dashed: true },
    ],
    whenEmpty: 'No samples in this range.',
  },
  {
    id: 'pool',
    title: "The dashboard's connection pool",
    unit: 'count',
    lines: [
      { metric: 'dashboardPoolInUse', label: 'checked out', colour: C.a },
      { metric: 'dashboardPoolWaiting', label: 'waiting', colour: C.d },
      { metric: 'dashboardPoolMax', label: 'pool size', colour: C.f, dashed: true },
    ],
    whenEmpty: 'Only the web server knows its pools: samples taken by the CLI or a separate worker leave this empty.',
  },
  {
    id: 'failures',
    title: "The dashboard's failed queries",
    unit: 'count',
    lines: [{ metric: 'dashboardFailedQueries', label: 'failed since the previous sample', colour: C.d }],
    whenEmpty: 'Counted from the second sample on; a reset of the count leaves a gap.',
  },
  {
    id: 'tps',
    title: 'Transactions per second',
    unit: 'per_second',
    lines: [
      { metric: 'tps', label: 'all', colour: C.a },
      { metric: 'commitsPerSecond', label: 'commits', colour: C.b },
      { metric: 'rollbacksPerSecond', label: 'rollbacks', colour: C.d },
    ],
    whenEmpty: 'Rates need two samples in a row; a counter reset leaves a gap.',
  },
  {
    id: 'hits',
    title: 'Cache and index hit ratios',
    unit: 'ratio',
    lines: [
      { metric: 'cacheHitRatio', label: 'cache', colour: C.a },
      { metric: 'indexHitRatio', label: 'index', colour: C.e },
    ],
    whenEmpty: 'No reads in this range, or rates not known yet.',
  },
  { id: 'size', title: 'Database size', unit: 'bytes', lines: [{ metric: 'dbSizeBytes', label: 'size', colour: C.a }], whenEmpty: 'No size read in this range.' },
  {
    id: 'longest',
    title: 'Longest running query',
    unit: 'seconds',
    lines: [{ metric: 'longestQuerySeconds', label: 'longest', colour: C.c }],
    whenEmpty: 'No samples in this range.',
  },
  {
    id: 'locks',
    title: 'Blocked sessions and deadlocks',
    unit: 'count',
    lines: [
      { metric: 'blockedSessions', label: 'blocked sessions', colour: C.c },
      { metric: 'deadlocks', label: 'deadlocks', colour: C.d },
    ],
    whenEmpty: 'No samples in this range.',
  },
  { id: 'temp', title: 'Temporary file bytes', unit: 'bytes_per_second', lines: [{ metric: 'tempBytesPerSecond', label: 'written', colour: C.e }], whenEmpty: 'No rates in this range.' },
  { id: 'wal', title: 'WAL bytes', unit: 'bytes_per_second', lines: [{ metric: 'walBytesPerSecond', label: 'written', colour: C.a }], whenEmpty: 'No rates in this range.' },
  {
    id: 'lag',
    title: 'Replication lag',
    unit: 'seconds',
    lines: [{ metric: 'replicationLagSeconds', label: 'lag', colour: C.c }],
    whenEmpty: 'No replica reported a lag: the server has no standby, or the monitoring login may not see pg_stat_replication.',
  },
  {
    id: 'calls',
    title: 'Statement calls',
    unit: 'per_second',
    lines: [{ metric: 'statementCallsPerSecond', label: 'calls', colour: C.a }],
    whenEmpty: 'Needs pg_stat_statements (see Slow queries).',
  },
  {
    id: 'mean',
    title: 'Mean statement time',
    unit: 'milliseconds',
    lines: [{ metric: 'statementMeanMs', label: 'mean', colour: C.e }],
    whenEmpty: 'Needs pg_stat_statements (see Slow queries).',
  },
]

/** The newest value, the lowest and the highest of one line over the range; null when it has none. */
export function summarise(values: (number | null)[]): { latest: number; min: number; max: number } | null {
  let latest: number | null = null
  let min = Infinity
  let max = -Infinity
  for (const v of values) {
    if (v === null) continue
    latest = v
    if (v < min) min = v
    if (v > max) max = v
  }
  return latest === null ? null : { latest, min, max }
}
