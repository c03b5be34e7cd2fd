/**
 * Every number a sample stores, with its unit: the charts' tooltips, the Prometheus names and the
 * alert rules all read this list, so a metric is described once.
 */
export type MetricUnit = 'count' | 'ratio' | 'bytes' | 'seconds' | 'milliseconds' | 'per_second' | 'bytes_per_second' | 'transactions'

export interface MetricInfo {
  label: string
  unit: MetricUnit
  /** 'rate': derived from counter deltas, missing (a gap) across a counter reset. */
  kind: 'gauge' | 'rate'
}

export const METRICS = {
  connectionsTotal: { label: 'client connections', unit: 'count', kind: 'gauge' },
  connectionsActive: { label: 'active connections', unit: 'count', kind: 'gauge' },
  connectionsIdle: { label: 'idle connections', unit: 'count', kind: 'gauge' },
  connectionsIdleInTransaction: { label: 'idle in transaction', unit: 'count', kind: 'gauge' },
  connectionsOther: { label: 'other connections (aborted, fastpath, hidden)', unit: 'count', kind: 'gauge' },
  connectionsMax: { label: 'max_connections', unit: 'count', kind: 'gauge' },
  connectionUse: { label: 'share of max_connections in use', unit: 'ratio', kind: 'gauge' },
  dashboardPoolInUse: { label: "dashboard pool connections checked out", unit: 'count', kind: 'gauge' },
  dashboardPoolMax: { label: 'dashboard pool size', unit: 'count', kind: 'gauge' },
  dashboardPoolWaiting: { label: 'callers waiting for a dashboard pool connection', unit: 'count', kind: 'gauge' },
  tps: { label: 'transactions per second', unit: 'per_second', kind: 'rate' },
  commitsPerSecond: { label: 'commits per second', unit: 'per_second', kind: 'rate' },
  rollbacksPerSecond: { label: 'rollbacks per second', unit: 'per_second', kind: 'rate' },
  cacheHitRatio: { label: 'cache hit ratio', unit: 'ratio', kind: 'rate' },
  indexHitRatio: { label: 'index cache hit ratio (read every 5 minutes)', unit: 'ratio', kind: 'rate' },
  dbSizeBytes: { label: 'database size (read every 5 minutes)', unit: 'bytes', kind: 'gauge' },
  longestQuerySeconds: { label: 'longest running query', unit: 'seconds', kind: 'gauge' },
  longestIdleInTransactionSeconds: { label: 'longest idle in transaction', unit: 'seconds', kind: 'gauge' },
  blockedSessions: { label: 'sessions waiting for a lock', unit: 'count', kind: 'gauge' },
  deadlocks: { label: 'deadlocks since the previous sample', unit: 'count', kind: 'rate' },
  tempBytesPerSecond: { label: 'temporary file bytes per second', unit: 'bytes_per_second', kind: 'rate' },
  walBytesPerSecond: { label: 'WAL bytes per second', unit: 'bytes_per_second', kind: 'rate' },
  replicationLagSeconds: { label: 'replication lag', unit: 'seconds', kind: 'gauge' },
  replicationLagBytes: { label: 'replication lag', unit: 'bytes', kind: 'gauge' },
  statementCallsPerSecond: { label: 'statements per second (pg_stat_statements)', unit: 'per_second', kind: 'rate' },
  statementMeanMs: { label: 'mean statement time (pg_stat_statements)', unit: 'milliseconds', kind: 'rate' },
  dashboardFailedQueries: { label: "dashboard's failed queries since the previous sample", unit: 'count', kind: 'rate' },
  xidAge: { label: 'oldest transaction-ID age', unit: 'transactions', kind: 'gauge' },
  backupAgeSeconds: { label: 'age of the last successful backup', unit: 'seconds', kind: 'gauge' },
  lastBackupFailed: { label: 'the latest finished backup failed (1) or not (0)', unit: 'count', kind: 'gauge' },
  intervalSeconds: { label: 'seconds since the previous sample', unit: 'seconds', kind: 'gauge' },
} as const satisfies Record<string, MetricInfo>

export type MetricName = keyof typeof METRICS

/** A sample's values; null where unknown, which charts draw as a gap. */
export type MetricValues = Record<MetricName, number | null>

export const METRIC_NAMES = Object.keys(METRICS) as MetricName[]

export function isMetricName(name: string): name is MetricName {
  return Object.hasOwn(METRICS, name)
}
