import { XID_WRAPAROUND } from '../performance/thresholds'

/**
 * The built-in alert rules, with the defaults of the DoR runbook, pghero and Supabase and where each
 * comes from. Admins change threshold, duration and severity or disable a rule per target (table
 * alert_rule_setting); nothing else about a rule is configurable, so each stays explainable.
 */
export type Severity = 'warning' | 'critical'

/** The numbers a rule judges, computed once per evaluation (lib/alerts/facts.ts). */
export type FactName =
  | 'connectionUse'
  | 'dashboardPoolWaiting'
  | 'longestQuerySeconds'
  | 'rollbackRatio5m'
  | 'dbSizeBytes'
  | 'daysUntilStorageLimit'
  | 'lastBackupFailed'
  | 'backupAgeHours'
  | 'cacheHitRatio'
  | 'longestIdleInTransactionSeconds'
  | 'xidAge'
  | 'replicationLagSeconds'
  | 'blockedSessions'
  | 'sequenceUse'
  | 'newIntegrityFindings'
  | 'dashboardFailedQueries'

export interface RuleDefinition {
  title: string
  fact: FactName
  /** 'above': fires when the value is at or above the threshold; 'below': when under it. */
  direction: 'above' | 'below'
  threshold: number
  /** How long the condition must hold before the alert fires (pending until then). */
  forSeconds: number
  severity: Severity
  unit: 'ratio' | 'seconds' | 'count' | 'bytes' | 'days' | 'hours' | 'transactions' | 'flag'
  source: string
  /** What to do about it, for the notification and the page. */
  advice: string
  /**
   * When the fact is unknown: 'ok' (nothing to judge: no replica, no traffic) or 'holds' (the
   * unknown is the problem itself: no successful backup ever).
   */
  whenUnknown: 'ok' | 'holds'
  /** Needs a setting the deployment may not have (STORAGE_LIMIT_BYTES): without it the rule is off. */
  needsStorageLimit?: boolean
}

export const RULES = {
  connectionsHigh: {
    title: 'Connections near max_connections',
    fact: 'connectionUse',
    direction: 'above',
    threshold: 0.8,
    forSeconds: 60,
    severity: 'warning',
    unit: 'ratio',
    source: 'DoR runbook alert "connection pool exhaustion"; pghero warns at 80 %',
    advice: 'Look for idle and leaked connections (Performance › Connections), shrink oversized application pools or put PgBouncer in front.',
    whenUnknown: 'ok',
  },
  connectionsExhausted: {
    title: 'Connections almost exhausted',
    fact: 'connectionUse',
    direction: 'above',
    threshold: 0.9,
    forSeconds: 0,
    severity: 'critical',
    unit: 'ratio',
    source: 'DoR runbook alert "connection pool exhaustion"; Supabase alerts at 90 %',
    advice: 'New sessions will soon be refused: end idle sessions and check applications for connection leaks now.',
    whenUnknown: 'ok',
  },
  dashboardPoolWaiting: {
    title: "Callers waiting for the dashboard's connection pool",
    fact: 'dashboardPoolWaiting',
    direction: 'above',
    threshold: 1,
    forSeconds: 30,
    severity: 'warning',
    unit: 'count',
    source: 'DoR runbook: warnings of pool exhaustion behind login errors',
    advice: "Every connection of the dashboard's pool is checked out: look for long statements of the dashboard on the Activity page.",
    whenUnknown: 'ok',
  },
  longRunningQuery: {
    title: 'Query running over 30 seconds',
    fact: 'longestQuerySeconds',
    direction: 'above',
    threshold: 30,
    forSeconds: 0,
    severity: 'warning',
    unit: 'seconds',
    source: 'DoR runbook alert "queries running over 30 seconds"',
    advice: 'See it on the Activity page; cancel it there if it should not run this long, or EXPLAIN it on Slow queries.',
    whenUnknown: 'ok',
  },
  highErrorRate: {
    title: 'High rollback rate',
    fact: 'rollbackRatio5m',
    direction: 'above',
    threshold: 0.05,
    forSeconds: 0,
    severity: 'warning',
    unit: 'ratio',
    source: 'DoR runbook alert "high error rates": rollbacks over 5 % of transactions in 5 minutes',
    advice: "Transactions are failing: read the application's and the server's error log for the statements that roll back.",
    whenUnknown: 'ok',
  },
  storageLimit: {
    title: 'Database over its storage limit',
    fact: 'dbSizeBytes',
    direction: 'above',
    threshold: 1,
    forSeconds: 0,
    severity: 'critical',
    unit: 'bytes',
    source: 'DoR runbook alert "storage space"; the threshold is STORAGE_LIMIT_BYTES',
    advice: 'Free space (VACUUM FULL of bloated tables, dropping unused indexes, archiving old rows) or raise the limit with more disk.',
    whenUnknown: 'ok',
    needsStorageLimit: true,
  },
  storageForecast: {
    title: 'Storage limit reached within days',
    fact: 'daysUntilStorageLimit',
    direction: 'below',
    threshold: 7,
    forSeconds: 0,
    severity: 'warning',
    unit: 'days',
    source: 'DoR runbook alert "storage space"; issue 15: forecast full within 7 days',
    advice: 'See which tables grow on the Health page and plan the space before the limit is reached.',
    whenUnknown: 'ok',
    needsStorageLimit: true,
  },
  backupFailed: {
    title: 'Latest backup failed',
    fact: 'lastBackupFailed',
    direction: 'above',
    threshold: 1,
    forSeconds: 0,
    severity: 'critical',
    unit: 'flag',
    source: 'DoR runbook alert "failed backups"',
    advice: 'Read the error on the Backups page, fix its cause and take a backup now.',
    whenUnknown: 'ok',
  },
  backupMissing: {
    title: 'No successful backup for 26 hours',
    fact: 'backupAgeHours',
    direction: 'above',
    threshold: 26,
    forSeconds: 0,
    severity: 'warning',
    unit: 'hours',
    source: 'DoR runbook alert "failed backups"; issue 15: a daily backup plus two hours of slack',
    advice: 'Take a full backup on the Backups page and check that the daily backup is scheduled.',
    whenUnknown: 'holds',
  },
  cacheHitRatioLow: {
    title: 'Cache hit ratio below 99 %',
    fact: 'cacheHitRatio',
    direction: 'below',
    threshold: 0.99,
    forSeconds: 600,
    severity: 'warning',
    unit: 'ratio',
    source: 'pghero cache_hit_rate_threshold = 99',
    advice: 'The working set no longer fits in shared_buffers: look for sequential scans of large tables (Indexes) or give the server more memory.',
    whenUnknown: 'ok',
  },
  idleInTransaction: {
    title: 'Session idle in transaction over 30 seconds',
    fact: 'longestIdleInTransactionSeconds',
    direction: 'above',
    threshold: 30,
    forSeconds: 0,
    severity: 'warning',
    unit: 'seconds',
    source: 'pghero idle-in-transaction check; the runbook\'s 30 seconds',
    advice: 'An open transaction holds locks and stops vacuum: find it on the Activity page; set idle_in_transaction_session_timeout.',
    whenUnknown: 'ok',
  },
  transactionIdAge: {
    title: 'Transaction-ID age past 1.5 billion',
    fact: 'xidAge',
    direction: 'above',
    threshold: 1_500_000_000,
    forSeconds: 0,
    severity: 'critical',
    unit: 'transactions',
    source: `pghero transaction_id_danger; PostgreSQL stops at ${XID_WRAPAROUND.toLocaleString('en-US')} minus 3 million`,
    advice: 'Run VACUUM (FREEZE) on the oldest tables (Performance › Tables, transaction-ID age) before wraparound stops writes.',
    whenUnknown: 'ok',
  },
  replicationLag: {
    title: 'Replication lag over a minute',
    fact: 'replicationLagSeconds',
    direction: 'above',
    threshold: 60,
    forSeconds: 60,
    severity: 'warning',
    unit: 'seconds',
    source: 'pghero replication_lag (Supabase alerts on lag too)',
    advice: "The replica is behind: check its network, disk and long queries on the replica that hold replay back.",
    whenUnknown: 'ok',
  },
  blockedSessions: {
    title: 'Sessions waiting for locks',
    fact: 'blockedSessions',
    direction: 'above',
    threshold: 1,
    forSeconds: 60,
    severity: 'warning',
    unit: 'count',
    source: 'pghero blocked queries; issue 14 blocking trees',
    advice: 'See the blocking tree on the Activity page and end or finish the transaction at its root.',
    whenUnknown: 'ok',
  },
  sequenceNearMax: {
    title: 'Sequence over 90 % of its maximum',
    fact: 'sequenceUse',
    direction: 'above',
    threshold: 0.9,
    forSeconds: 0,
    severity: 'warning',
    unit: 'ratio',
    source: 'pghero sequence_danger (90 %); issue 15',
    advice:
      'Inserts fail once a sequence reaches its maximum: widen the column and its sequence to bigint (ALTER TABLE … ALTER COLUMN … TYPE bigint; ALTER SEQUENCE … AS bigint) before it runs out.',
    whenUnknown: 'ok',
  },
  integrityNewFindings: {
    title: 'New integrity findings',
    fact: 'newIntegrityFindings',
    direction: 'above',
    threshold: 1,
    forSeconds: 0,
    severity: 'warning',
    unit: 'count',
    source: 'issue 15: checks clean in the previous integrity run that find rows in the latest one',
    advice: 'Open the latest run on the Integrity page: look at the orphaned or invalid rows, fix their cause in the application, then fix or accept the rows.',
    whenUnknown: 'ok',
  },
  dashboardQueryFailures: {
    title: "Dashboard's own queries failing",
    fact: 'dashboardFailedQueries',
    direction: 'above',
    threshold: 5,
    forSeconds: 0,
    severity: 'warning',
    unit: 'count',
    source: 'DoR runbook alert "high error rates", for the dashboard itself: failed queries of its pools in 5 minutes',
    advice:
      "The dashboard's queries on the database fail (statement timeouts, refused permissions, lost connections): read the dashboard's server log and check the logins on the Security and Connections pages.",
    whenUnknown: 'ok',
  },
} as const satisfies Record<string, RuleDefinition>

export type RuleName = keyof typeof RULES

export const RULE_NAMES = Object.keys(RULES) as RuleName[]

export function isRuleName(v: string): v is RuleName {
  return Object.hasOwn(RULES, v)
}
