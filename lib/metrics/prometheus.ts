import { Counter, Gauge, Registry } from 'prom-client'
import type { AlertStatus } from '../alerts/evaluate-alerts'
import { METRIC_NAMES, METRICS, type MetricName } from './metric-names'
import type { Counters } from './read-target'
import type { NewSample } from './sample-store'

/** Prometheus names where the camel-case name does not say the unit the conventions ask for. */
const RENAMED: Partial<Record<MetricName, string>> = {
  tps: 'transactions_per_second',
  connectionUse: 'connection_use_ratio',
  deadlocks: 'deadlocks_in_interval',
  dashboardFailedQueries: 'dashboard_failed_queries_in_interval',
  xidAge: 'transaction_id_age',
  lastBackupFailed: 'last_backup_failed',
  intervalSeconds: 'sample_interval_seconds',
}

/** The cumulative counters as read, exposed as Prometheus counters so that rate() works on them too. */
const COUNTERS: Record<keyof Counters, { name: string; help: string }> = {
  xactCommit: { name: 'xact_commit_total', help: 'Transactions committed (pg_stat_database)' },
  xactRollback: { name: 'xact_rollback_total', help: 'Transactions rolled back (pg_stat_database)' },
  blksHit: { name: 'blocks_hit_total', help: 'Blocks found in shared buffers (pg_stat_database)' },
  blksRead: { name: 'blocks_read_total', help: 'Blocks read from disk or the OS cache (pg_stat_database)' },
  idxBlksHit: { name: 'index_blocks_hit_total', help: 'Index blocks found in shared buffers (pg_statio_user_indexes)' },
  idxBlksRead: { name: 'index_blocks_read_total', help: 'Index blocks read (pg_statio_user_indexes)' },
  deadlocks: { name: 'deadlocks_total', help: 'Deadlocks detected (pg_stat_database)' },
  tempBytes: { name: 'temp_bytes_total', help: 'Bytes written to temporary files (pg_stat_database)' },
  walLsn: { name: 'wal_position_bytes_total', help: 'WAL position in bytes (pg_current_wal_lsn)' },
  statementCalls: { name: 'statement_calls_total', help: 'Statement calls (pg_stat_statements)' },
  statementTotalMs: { name: 'statement_time_milliseconds_total', help: 'Statement execution time (pg_stat_statements)' },
  dashboardFailures: { name: 'dashboard_failed_queries_total', help: "The dashboard's own failed queries on the target (statement timeouts, refused permissions, lost connections)" },
}

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)

export function prometheusName(metric: MetricName): string {
  return `dbadmin_${RENAMED[metric] ?? snake(metric)}`
}

export interface PrometheusInput {
  /** The target's latest sample; null before the first one. */
  sample: Pick<NewSample, 'takenAt' | 'metrics' | 'counters' | 'durationMs'> | null
  database: string
  targetKey: string
  /** The rules' current states, for dbadmin_alert_firing. */
  alerts?: Pick<AlertStatus, 'rule' | 'severity' | 'state'>[]
}

/**
 * The latest sample in the Prometheus text format (version 0.0.4), built in a registry of its own
 * for each request: nothing global, and several targets cannot mix. An unknown value is left out,
 * as Prometheus expects, rather than written as 0.
 */
export async function renderPrometheus(input: PrometheusInput): Promise<{ contentType: string; text: string }> {
  const registry = new Registry()
  const labels = { database: input.database, target: input.targetKey }
  const labelNames = ['database', 'target'] as const
  const s = input.sample
  const up = new Gauge({ name: 'dbadmin_sample_present', help: 'Whether a health sample of the target exists (1) or not yet (0)', labelNames, registers: [registry] })
  up.set(labels, s ? 1 : 0)
  if (s) {
    new Gauge({ name: 'dbadmin_sample_timestamp_seconds', help: 'When the latest sample was taken (Unix time)', labelNames, registers: [registry] }).set(labels, s.takenAt.getTime() / 1000)
    if (s.durationMs !== null) {
      new Gauge({ name: 'dbadmin_sample_duration_seconds', help: "The target's time answering the latest sample", labelNames, registers: [registry] }).set(labels, s.durationMs / 1000)
    }
    for (const m of METRIC_NAMES) {
      const value = s.metrics[m]
      if (value === null || !Number.isFinite(value)) continue
      const info = METRICS[m]
      new Gauge({ name: prometheusName(m), help: `${info.label[0].toUpperCase()}${info.label.slice(1)} (${info.unit.replace(/_/g, ' ')})`, labelNames, registers: [registry] }).set(labels, value)
    }
    for (const [key, c] of Object.entries(COUNTERS) as [keyof Counters, (typeof COUNTERS)[keyof Counters]][]) {
      const value = s.counters[key]
      if (value == null || !Number.isFinite(value)) continue
      new Counter({ name: `dbadmin_${c.name}`, help: c.help, labelNames, registers: [registry] }).inc(labels, value)
    }
  }
  if (input.alerts) {
    const firing = new Gauge({ name: 'dbadmin_alert_firing', help: 'Whether an alert rule is firing (1) or not (0)', labelNames: [...labelNames, 'rule', 'severity'], registers: [registry] })
    for (const a of input.alerts) firing.set({ ...labels, rule: a.rule, severity: a.severity }, a.state === 'firing' ? 1 : 0)
  }
  return { contentType: registry.contentType, text: await registry.metrics() }
}
