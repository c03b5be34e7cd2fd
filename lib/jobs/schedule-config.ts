import type { AppConfig } from '../config'
import { samplerCron } from '../metrics/sampler-ticks'
import type { ScheduleSetting } from './schedules'

/** The daily unattended integrity run when nothing is configured: 03:00 in JOBS_TIMEZONE. */
export const DEFAULT_INTEGRITY_CRON = '0 3 * * *'
/** The daily audit prune: 04:30 in JOBS_TIMEZONE. */
export const DEFAULT_AUDIT_PRUNE_CRON = '30 4 * * *'

/** The weekly restore drill of the newest full backup when nothing else is set: Sundays 04:00 in JOBS_TIMEZONE. */
export const DEFAULT_DRILL_CRON = '0 4 * * 0'
/** Backups of each kind: off until an admin turns them on (Jobs page or `dbadmin backup schedule set`); nightly 02:00 then. */
export const DEFAULT_BACKUP_CRON = '0 2 * * *'

/**
 * INTEGRITY_SCHEDULE_HOURS as a cron expression: every N hours on the hour for a divisor of 24
 * (counted from midnight), every D days at midnight for whole days (counted from the first of the
 * month, as cron counts). The configuration refuses other values.
 */
export function hoursToCron(hours: number): string | null {
  if (hours === 0) return null
  if (hours === 1) return '0 * * * *'
  if (24 % hours === 0 && hours < 24) return `0 */${hours} * * *`
  const days = hours / 24
  return days === 1 ? '0 0 * * *' : `0 0 */${days} * *`
}

/** The configured schedules by job kind, applied at start unless an admin changed them on the Jobs page. */
export function configuredSchedules(
  config: Pick<AppConfig, 'INTEGRITY_SCHEDULE_CRON' | 'INTEGRITY_SCHEDULE_HOURS' | 'JOBS_TIMEZONE'> &
    Partial<Pick<AppConfig, 'AUDIT_PRUNE_CRON' | 'AUDIT_RETENTION_DAYS' | 'METRICS_SCHEDULE_CRON' | 'METRICS_INTERVAL_SECONDS'>>,
): Record<string, ScheduleSetting> {
  const cron =
    config.INTEGRITY_SCHEDULE_CRON !== undefined
      ? config.INTEGRITY_SCHEDULE_CRON === 'off'
        ? null
        : config.INTEGRITY_SCHEDULE_CRON
      : config.INTEGRITY_SCHEDULE_HOURS !== undefined
        ? hoursToCron(config.INTEGRITY_SCHEDULE_HOURS)
        : DEFAULT_INTEGRITY_CRON
  const metricsCron = config.METRICS_SCHEDULE_CRON ?? samplerCron(config.METRICS_INTERVAL_SECONDS ?? 15)
  const prune = config.AUDIT_PRUNE_CRON ?? DEFAULT_AUDIT_PRUNE_CRON
  return {
    'integrity.run': { cron: cron ?? DEFAULT_INTEGRITY_CRON, timezone: config.JOBS_TIMEZONE, enabled: cron !== null },
    'backup.drill': { cron: DEFAULT_DRILL_CRON, timezone: config.JOBS_TIMEZONE, enabled: true },
    'backup.full': { cron: DEFAULT_BACKUP_CRON, timezone: config.JOBS_TIMEZONE, enabled: false },
    'backup.schema': { cron: DEFAULT_BACKUP_CRON, timezone: config.JOBS_TIMEZONE, enabled: false },
    'backup.data': { cron: DEFAULT_BACKUP_CRON, timezone: config.JOBS_TIMEZONE, enabled: false },
    // Off while AUDIT_RETENTION_DAYS keeps the audit log for ever: a daily job that deletes nothing says nothing.
    'audit.prune': {
      cron: prune === 'off' ? DEFAULT_AUDIT_PRUNE_CRON : prune,
      timezone: config.JOBS_TIMEZONE,
      enabled: prune !== 'off' && (config.AUDIT_RETENTION_DAYS ?? 365) > 0,
    },
    // The health sampler runs unless turned off; its minute samples every METRICS_INTERVAL_SECONDS.
    'metrics.sample': { cron: metricsCron === 'off' ? samplerCron(config.METRICS_INTERVAL_SECONDS ?? 15) : metricsCron, timezone: config.JOBS_TIMEZONE, enabled: metricsCron !== 'off' },
  }
}
