/**
 * Every number the performance pages (and the alerts of issue 15) judge by, with where it comes
 * from, so that the UI can show the source beside each finding and nobody has to guess why 30 s.
 */

export type ThresholdSource =
  | { kind: 'runbook'; note: string }
  | { kind: 'pghero'; note: string }
  | { kind: 'postgresql'; note: string; url: string }
  | { kind: 'project'; note: string }

export interface Threshold {
  value: number
  unit: 'seconds' | 'milliseconds' | 'ratio' | 'rows' | 'scans' | 'bytes' | 'transactions' | 'factor' | 'calls'
  /** One line for the UI: what crossing it means. */
  label: string
  source: ThresholdSource
}

const DOCS = 'https://www.postgresql.org/docs/current'

export const THRESHOLDS = {
  longRunningSeconds: {
    value: 30,
    unit: 'seconds',
    label: 'query running long',
    source: { kind: 'runbook', note: 'DoR runbook, alerts: "queries running over 30 seconds"' },
  },
  veryLongRunningSeconds: {
    value: 300,
    unit: 'seconds',
    label: 'query running very long',
    source: { kind: 'runbook', note: 'DoR runbook, performance: "list queries running over 5 minutes"' },
  },
  idleConnectionLeakSeconds: {
    value: 3600,
    unit: 'seconds',
    label: 'idle connection, possibly leaked',
    source: { kind: 'runbook', note: 'DoR runbook "check for connection leaks"; issue 14: idle for over an hour' },
  },
  connectionUseWarn: {
    value: 0.8,
    unit: 'ratio',
    label: 'connections near max_connections',
    source: { kind: 'runbook', note: 'DoR runbook alert "connection pool exhaustion"; issue 14 warns at 80 %' },
  },
  cacheHitRatio: {
    value: 0.99,
    unit: 'ratio',
    label: 'cache hit ratio below',
    source: { kind: 'pghero', note: 'cache_hit_rate_threshold = 99 (%)' },
  },
  slowQueryMeanMs: {
    value: 20,
    unit: 'milliseconds',
    label: 'slow statement (mean time)',
    source: { kind: 'pghero', note: 'slow_query_ms = 20' },
  },
  slowQueryCalls: {
    value: 100,
    unit: 'calls',
    label: 'slow statement called at least',
    source: { kind: 'pghero', note: 'slow_query_calls = 100' },
  },
  explainTimeoutMs: {
    value: 10_000,
    unit: 'milliseconds',
    label: 'EXPLAIN ANALYZE statement timeout',
    source: { kind: 'pghero', note: 'explain_timeout_sec = 10; issue 14 asks for 10 s' },
  },
  planMissFactor: {
    value: 10,
    unit: 'factor',
    label: 'row estimate off by',
    source: { kind: 'project', note: 'an order of magnitude between estimated and actual rows, where plans usually go wrong' },
  },
  unusedIndexMaxScans: {
    value: 0,
    unit: 'scans',
    label: 'index scans since the statistics reset at most',
    source: { kind: 'project', note: 'issue 14: no scans since the reset (pghero tolerates 50)' },
  },
  missingIndexMinRows: {
    value: 10_000,
    unit: 'rows',
    label: 'table large enough for a missing-index hint',
    source: { kind: 'pghero', note: 'missing_indexes: n_live_tup >= 10000' },
  },
  missingIndexScanShare: {
    value: 0.95,
    unit: 'ratio',
    label: 'share of index scans below',
    source: { kind: 'pghero', note: 'missing_indexes: percent_of_times_index_used < 95' },
  },
  deadTupleShare: {
    value: 0.2,
    unit: 'ratio',
    label: 'dead rows share',
    source: {
      kind: 'postgresql',
      note: 'autovacuum_vacuum_scale_factor defaults to 0.2: past it autovacuum should already have run',
      url: `${DOCS}/runtime-config-autovacuum.html`,
    },
  },
  bloatBytes: {
    value: 100 * 1024 * 1024,
    unit: 'bytes',
    label: 'estimated bloat',
    source: { kind: 'pghero', note: 'index_bloat_bytes defaults to 100 MB' },
  },
  xidShutdownMargin: {
    value: 10_000_000,
    unit: 'transactions',
    label: 'transactions left before wraparound shutdown',
    source: {
      kind: 'pghero',
      note: 'transaction_id_danger warns at 10,000,000 left; PostgreSQL stops assigning IDs at 3,000,000 left',
    },
  },
  sequenceUseShare: {
    value: 0.9,
    unit: 'ratio',
    label: 'share of a sequence range used',
    source: { kind: 'pghero', note: 'sequence_danger threshold = 0.9' },
  },
} as const satisfies Record<string, Threshold>

export type ThresholdName = keyof typeof THRESHOLDS

/** The transaction-ID horizon PostgreSQL works against: 2^31, of which it keeps 3 million in reserve. */
export const XID_WRAPAROUND = 2 ** 31
export const XID_STOP_MARGIN = 3_000_000
