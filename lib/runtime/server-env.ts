import { type AlembicSettings, alembicSettings } from '../alembic/settings'
import { type AppConfig, ConfigError, loadConfig } from '../config'
import { type CapabilityUrls, capabilityUrls } from '../db/capabilities'
import type { SamplerConfig } from '../metrics/sampler-cycle'

export interface ServerEnv {
  targetUrl: string
  stateUrl: string
  demo: boolean
  authSecret: string
  sessionHours: number
  targetStatementTimeoutMs: number
  /** Where pg_dump, pg_restore and psql live. */
  pgBinDir: string
  migrationLockTimeoutMs: number
  migrationStatementTimeoutMs: number
  alembicVersionsDir: string | null
  /** How to run the team's Alembic; null when ALEMBIC_DIR is not set. */
  alembic: AlembicSettings | null
  integrityCheckTimeoutMs: number
  /** The job system's settings: schedules, whether this process runs jobs, per-queue concurrency. */
  jobs: Pick<
    AppConfig,
    'INTEGRITY_SCHEDULE_CRON' | 'INTEGRITY_SCHEDULE_HOURS' | 'JOBS_TIMEZONE' | 'JOBS_WORKER' | 'JOBS_CONCURRENCY' | 'AUDIT_PRUNE_CRON' | 'AUDIT_RETENTION_DAYS' | 'METRICS_SCHEDULE_CRON' | 'METRICS_INTERVAL_SECONDS'
  >
  /** The health sampler's retention, storage limit and alert delivery (lib/metrics/sampler-settings.ts). */
  metrics: SamplerConfig & Pick<AppConfig, 'METRICS_INTERVAL_SECONDS'>
  /** METRICS_TOKEN: GET /api/metrics answers only with it; null leaves the endpoint off. */
  metricsToken: string | null
  dataPath: string
  /** Proxy hops whose X-Forwarded-For entries are believed (TRUST_PROXY). */
  trustProxy: number
  /** NEXTAUTH_URL: the address users open, one of the origins requests may come from. */
  publicUrl: string | null
  /** RULE_READER_DATABASE_URL: the read-only login for admins' own rules, when configured. */
  ruleReaderUrl: string | null
  /** The login of each capability (lib/db/capabilities.ts): its variable, else the target's URL. */
  capabilities: CapabilityUrls
}

let cached: ServerEnv | undefined

/**
 * The web server's view of the configuration. scripts/start.ts resolves the embedded cluster and
 * passes the resulting URLs as DBADMIN_TARGET_URL / DBADMIN_STATE_URL; without the launcher,
 * DATABASE_URL and STATE_DATABASE_URL must both be given.
 */
export function serverEnv(): ServerEnv {
  if (cached) return cached
  const config = loadConfig()
  const targetUrl = process.env.DBADMIN_TARGET_URL || config.DATABASE_URL
  const stateUrl = process.env.DBADMIN_STATE_URL || config.STATE_DATABASE_URL
  if (!targetUrl) throw new ConfigError('Configuration error: DATABASE_URL is not set (start the dashboard with `npm start`)')
  if (!stateUrl) throw new ConfigError('Configuration error: STATE_DATABASE_URL is not set (start the dashboard with `npm start`)')
  if (!config.AUTH_SECRET) throw new ConfigError('Configuration error: AUTH_SECRET is not set (start the dashboard with `npm start`)')
  cached = {
    targetUrl,
    stateUrl,
    demo: process.env.DBADMIN_DEMO === '1',
    authSecret: config.AUTH_SECRET,
    sessionHours: config.SESSION_HOURS,
    targetStatementTimeoutMs: config.TARGET_STATEMENT_TIMEOUT_MS,
    pgBinDir: config.PG_BIN_DIR,
    migrationLockTimeoutMs: config.MIGRATION_LOCK_TIMEOUT_MS,
    migrationStatementTimeoutMs: config.MIGRATION_STATEMENT_TIMEOUT_MS,
    alembicVersionsDir: config.ALEMBIC_VERSIONS_DIR ?? null,
    alembic: alembicSettings(config),
    integrityCheckTimeoutMs: config.INTEGRITY_CHECK_TIMEOUT_MS,
    jobs: {
      INTEGRITY_SCHEDULE_CRON: config.INTEGRITY_SCHEDULE_CRON,
      INTEGRITY_SCHEDULE_HOURS: config.INTEGRITY_SCHEDULE_HOURS,
      JOBS_TIMEZONE: config.JOBS_TIMEZONE,
      JOBS_WORKER: config.JOBS_WORKER,
      JOBS_CONCURRENCY: config.JOBS_CONCURRENCY,
      AUDIT_PRUNE_CRON: config.AUDIT_PRUNE_CRON,
      AUDIT_RETENTION_DAYS: config.AUDIT_RETENTION_DAYS,
      METRICS_SCHEDULE_CRON: config.METRICS_SCHEDULE_CRON,
      METRICS_INTERVAL_SECONDS: config.METRICS_INTERVAL_SECONDS,
    },
    metrics: {
      METRICS_INTERVAL_SECONDS: config.METRICS_INTERVAL_SECONDS,
      METRICS_RAW_RETENTION_HOURS: config.METRICS_RAW_RETENTION_HOURS,
      METRICS_5M_RETENTION_DAYS: config.METRICS_5M_RETENTION_DAYS,
      METRICS_1H_RETENTION_DAYS: config.METRICS_1H_RETENTION_DAYS,
      STORAGE_LIMIT_BYTES: config.STORAGE_LIMIT_BYTES,
      SMTP_URL: config.SMTP_URL,
      ALERT_EMAIL_FROM: config.ALERT_EMAIL_FROM,
      ALERT_EMAIL_TO: config.ALERT_EMAIL_TO,
      ALERT_WEBHOOK_URL: config.ALERT_WEBHOOK_URL,
      ALERT_WEBHOOK_FORMAT: config.ALERT_WEBHOOK_FORMAT,
    },
    metricsToken: config.METRICS_TOKEN ?? null,
    dataPath: config.dataPath,
    trustProxy: config.TRUST_PROXY,
    publicUrl: config.NEXTAUTH_URL ?? null,
    ruleReaderUrl: config.RULE_READER_DATABASE_URL ?? null,
    capabilities: capabilityUrls(targetUrl, config),
  }
  return cached
}
