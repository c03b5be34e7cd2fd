import path from 'node:path'
import { z } from 'zod'

/** One clear line naming the variable; start-up prints it and stops. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ConfigError'
  }
}

const postgresUrl = z
  .string()
  .refine((v) => /^postgres(ql)?:\/\//.test(v) && URL.canParse(v), {
    message: 'must be a postgres:// or postgresql:// URL',
  })

function milliseconds(min: number, max: number, fallback: number) {
  return z.coerce
    .number({ message: 'must be a number of milliseconds' })
    .int({ message: 'must be a whole number of milliseconds' })
    .min(min, { message: `must be at least ${min} ms` })
    .max(max, { message: `must be at most ${max} ms` })
    .default(fallback)
}

function wholeNumber(unit: string, min: number, max: number, fallback: number) {
  return z.coerce
    .number({ message: `must be a number of ${unit}` })
    .int({ message: `must be a whole number of ${unit}` })
    .min(min, { message: `must be at least ${min} ${unit}` })
    .max(max, { message: `must be at most ${max} ${unit}` })
    .default(fallback)
}

const EnvSchema = z
  .object({
    DATABASE_URL: postgresUrl.optional(),
    STATE_DATABASE_URL: postgresUrl.optional(),
    /** The target as a read-only role, for admins' own rules; without it the dashboard creates one. */
    RULE_READER_DATABASE_URL: postgresUrl.optional(),
    /** One login per capability (lib/db/capabilities.ts); each defaults to DATABASE_URL. */
    MONITOR_DATABASE_URL: postgresUrl.optional(),
    MIGRATOR_DATABASE_URL: postgresUrl.optional(),
    BACKUP_DATABASE_URL: postgresUrl.optional(),
    MAINTENANCE_DATABASE_URL: postgresUrl.optional(),
    /** Cancel and Terminate on the Activity page: a login holding only pg_signal_backend. */
    SIGNAL_DATABASE_URL: postgresUrl.optional(),
    PORT: z.coerce
      .number({ message: 'must be a port number' })
      .int({ message: 'must be a port number' })
      .min(1, { message: 'must be between 1 and 65535' })
      .max(65535, { message: 'must be between 1 and 65535' })
      .default(3000),
    HOSTNAME: z.string().default('0.0.0.0'),
    AUTH_SECRET: z.string().min(32, { message: 'must be at least 32 characters' }).optional(),
    SESSION_HOURS: z.coerce
      .number({ message: 'must be a number of hours' })
      .positive({ message: 'must be a positive number of hours' })
      .max(720, { message: 'must be at most 720 hours' })
      .default(8),
    ADMIN_EMAIL: z.email({ message: 'must be an e-mail address' }).optional(),
    ADMIN_PASSWORD: z.string().min(12, { message: 'must be at least 12 characters' }).optional(),
    DATA_DIR: z.string().min(1).default('.data'),
    NEXTAUTH_URL: z.url({ message: 'must be a URL such as https://dbadmin.example.org' }).optional(),
    PG_BIN_DIR: z.string().min(1).default('/usr/lib/postgresql/15/bin'),
    TARGET_STATEMENT_TIMEOUT_MS: milliseconds(100, 3_600_000, 30_000),
    MIGRATION_LOCK_TIMEOUT_MS: milliseconds(100, 3_600_000, 5_000),
    MIGRATION_STATEMENT_TIMEOUT_MS: milliseconds(1_000, 86_400_000, 900_000),
    INTEGRITY_CHECK_TIMEOUT_MS: milliseconds(1_000, 86_400_000, 300_000),
    /** Unattended integrity runs, as cron (minute hour day-of-month month day-of-week) in JOBS_TIMEZONE, or 'off'. */
    INTEGRITY_SCHEDULE_CRON: z
      .string()
      .trim()
      .refine((v) => v === 'off' || /^(\S+\s+){4}\S+$/.test(v), { message: "must be a cron expression of five fields (e.g. '0 3 * * *') or 'off'" })
      .optional(),
    /** The older form: every N hours (a divisor of 24, or whole days); 0 turns the schedule off. Becomes a cron schedule. */
    INTEGRITY_SCHEDULE_HOURS: z.coerce
      .number({ message: 'must be a number of hours (0 turns the schedule off)' })
      .int({ message: 'must be a whole number of hours' })
      .min(0, { message: 'must be 0 or more' })
      .max(24 * 31, { message: 'must be at most 744 hours' })
      .refine((h) => h === 0 || 24 % h === 0 || (h % 24 === 0 && h / 24 <= 31), {
        message: 'must divide 24 (1, 2, 3, 4, 6, 8, 12) or be whole days (24, 48, …): use INTEGRITY_SCHEDULE_CRON for other times',
      })
      .optional(),
    /** The time zone of every job schedule (an IANA name). */
    JOBS_TIMEZONE: z
      .string()
      .trim()
      .refine(
        (tz) => {
          try {
            new Intl.DateTimeFormat('en', { timeZone: tz })
            return true
          } catch {
            return false
          }
        },
        { message: 'must be a time zone name such as UTC or Europe/Berlin' },
      )
      .default('UTC'),
    /** Whether this process runs background jobs (1) or only queues them for other instances (0). */
    JOBS_WORKER: z.enum(['0', '1'], { message: 'must be 1 (run jobs here) or 0 (only queue them)' }).default('1'),
    /** Jobs of a queue one process runs at once: 'integrity-fix=2,migration-drift=1' (0: none here). */
    JOBS_CONCURRENCY: z
      .string()
      .trim()
      .refine((v) => /^\s*[a-z0-9-]+\s*=\s*\d{1,2}\s*(,\s*[a-z0-9-]+\s*=\s*\d{1,2}\s*)*$/.test(v), {
        message: "must be queue=number pairs separated by commas (e.g. 'integrity-fix=2')",
      })
      .optional(),
    /** Proxies in front of the dashboard whose X-Forwarded-* headers are believed; 0 believes none. */
    TRUST_PROXY: z.coerce
      .number({ message: 'must be a number of proxy hops (0 trusts no forwarded header)' })
      .int({ message: 'must be a whole number of proxy hops' })
      .min(0, { message: 'must be 0 or more' })
      .max(10, { message: 'must be at most 10' })
      .default(0),
    /** A folder of Alembic revision files, when the target is migrated by Alembic. */
    ALEMBIC_VERSIONS_DIR: z.string().min(1).optional(),
    /** Encrypts backups at rest with age, by passphrase (at least 12 characters) … */
    BACKUP_ENCRYPTION_PASSPHRASE: z.string().min(12, { message: 'must be at least 12 characters' }).optional(),
    /** … or to age recipients (age1… public keys, separated by commas or spaces). */
    BACKUP_ENCRYPTION_RECIPIENTS: z
      .string()
      .refine((v) => v.split(/[\s,]+/).filter(Boolean).every((r) => /^age1[0-9a-z]+$/.test(r)), { message: 'must be age recipients (age1…), separated by commas or spaces' })
      .optional(),
    /** A file of age identities (AGE-SECRET-KEY-1… lines) that open recipient-encrypted backups for restores and drills. */
    BACKUP_ENCRYPTION_IDENTITY_FILE: z.string().min(1).optional(),
    /** Largest backup upload accepted, in bytes. */
    BACKUP_UPLOAD_MAX_BYTES: z.coerce
      .number({ message: 'must be a number of bytes' })
      .int({ message: 'must be a whole number of bytes' })
      .min(1024 * 1024, { message: 'must be at least 1 MiB' })
      .default(10 * 1024 ** 3),
    /** The team's Alembic project (where alembic.ini is): setting it lets the dashboard run Alembic. */
    ALEMBIC_DIR: z.string().min(1).optional(),
    /** How Alembic is run, as an argument list (no shell), e.g. ["alembic","-c","/srv/app/alembic.ini"]. */
    ALEMBIC_COMMAND: z
      .string()
      .transform((v, ctx) => {
        let parsed: unknown
        try {
          parsed = JSON.parse(v)
        } catch {
          parsed = undefined
        }
        if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((a) => typeof a === 'string' && a !== '' && !a.includes('\0'))) {
          ctx.addIssue({ code: 'custom', message: 'must be a JSON array of non-empty strings, e.g. ["alembic"]' })
          return z.NEVER
        }
        return parsed as string[]
      })
      .default(['alembic']),
    /** How long one Alembic run may take before it is stopped. */
    ALEMBIC_TIMEOUT_MS: milliseconds(1_000, 86_400_000, 900_000),
    /** Audit records older than this many days are pruned; 0 keeps them for ever. */
    AUDIT_RETENTION_DAYS: z.coerce
      .number({ message: 'must be a number of days (0 keeps the audit log for ever)' })
      .int({ message: 'must be a whole number of days' })
      .min(0, { message: 'must be 0 or more' })
      .max(36_500, { message: 'must be at most 36500 days' })
      .default(365),
    /** When the audit log is pruned to AUDIT_RETENTION_DAYS, as cron in JOBS_TIMEZONE, or 'off'. */
    AUDIT_PRUNE_CRON: z
      .string()
      .trim()
      .refine((v) => v === 'off' || /^(\S+\s+){4}\S+$/.test(v), { message: "must be a cron expression of five fields (e.g. '30 4 * * *') or 'off'" })
      .default('30 4 * * *'),
    /** Seconds between health samples (the sampler job); also what a gap in the charts is measured against. */
    METRICS_INTERVAL_SECONDS: wholeNumber('seconds', 5, 3600, 15),
    /**
     * The sampler job's schedule (cron, minute resolution) or 'off'; each firing samples every
     * METRICS_INTERVAL_SECONDS within its minute. Default: every minute (or every N minutes for longer intervals).
     */
    METRICS_SCHEDULE_CRON: z
      .string()
      .trim()
      .refine((v) => v === 'off' || /^(\S+\s+){4}\S+$/.test(v), { message: "must be a cron expression of five fields (e.g. '* * * * *') or 'off'" })
      .optional(),
    /** Turns on GET /api/metrics (Prometheus text): scrapers send it as `Authorization: Bearer <token>`. */
    METRICS_TOKEN: z.string().min(16, { message: 'must be at least 16 characters' }).optional(),
    /** Raw health samples are kept this many hours … */
    METRICS_RAW_RETENTION_HOURS: wholeNumber('hours', 1, 24 * 366, 48),
    /** … their 5-minute aggregates this many days … */
    METRICS_5M_RETENTION_DAYS: wholeNumber('days', 1, 3660, 30),
    /** … and hourly aggregates (and table sizes) this many days. */
    METRICS_1H_RETENTION_DAYS: wholeNumber('days', 1, 36_600, 365),
    /** The size the target database may reach, in bytes: the storage alert and forecast measure against it. */
    STORAGE_LIMIT_BYTES: z.coerce
      .number({ message: 'must be a number of bytes' })
      .int({ message: 'must be a whole number of bytes' })
      .min(1024 * 1024, { message: 'must be at least 1 MiB' })
      .optional(),
    /** Outgoing mail for alert notifications, e.g. smtps://user:password@mail.example.org:465. */
    SMTP_URL: z
      .string()
      .refine((v) => /^smtps?:\/\//.test(v) && URL.canParse(v), { message: 'must be an smtp:// or smtps:// URL' })
      .optional(),
    /** The sender of alert e-mails. */
    ALERT_EMAIL_FROM: z.email({ message: 'must be an e-mail address' }).optional(),
    /** Who gets alert e-mails (commas or spaces between addresses); needs SMTP_URL. */
    ALERT_EMAIL_TO: z
      .string()
      .transform((v, ctx) => {
        const list = v.split(/[\s,]+/).filter(Boolean)
        if (list.length === 0 || !list.every((a) => z.email().safeParse(a).success)) {
          ctx.addIssue({ code: 'custom', message: 'must be e-mail addresses separated by commas or spaces' })
          return z.NEVER
        }
        return list
      })
      .optional(),
    /** A webhook that receives every firing and resolved alert as a JSON POST. */
    ALERT_WEBHOOK_URL: z.url({ protocol: /^https?$/, message: 'must be an http:// or https:// URL' }).optional(),
    /** 'slack' posts Slack's { text } message shape instead of the full JSON event. */
    ALERT_WEBHOOK_FORMAT: z.enum(['json', 'slack'], { message: 'must be json or slack' }).default('json'),
  })
  .superRefine((env, ctx) => {
    if (env.ADMIN_EMAIL && !env.ADMIN_PASSWORD) {
      ctx.addIssue({ code: 'custom', path: ['ADMIN_PASSWORD'], message: 'is required when ADMIN_EMAIL is set' })
    }
    if (env.BACKUP_ENCRYPTION_PASSPHRASE && env.BACKUP_ENCRYPTION_RECIPIENTS) {
      ctx.addIssue({ code: 'custom', path: ['BACKUP_ENCRYPTION_RECIPIENTS'], message: 'cannot be set together with BACKUP_ENCRYPTION_PASSPHRASE (age encrypts to one or the other)' })
    }
    if (env.ALERT_EMAIL_TO && !env.SMTP_URL) {
      ctx.addIssue({ code: 'custom', path: ['SMTP_URL'], message: 'is required when ALERT_EMAIL_TO is set (alert e-mails are sent through it)' })
    }
    if (env.ADMIN_PASSWORD && !env.ADMIN_EMAIL) {
      ctx.addIssue({ code: 'custom', path: ['ADMIN_EMAIL'], message: 'is required when ADMIN_PASSWORD is set' })
    }
    if (env.INTEGRITY_SCHEDULE_CRON !== undefined && env.INTEGRITY_SCHEDULE_HOURS !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['INTEGRITY_SCHEDULE_HOURS'], message: 'and INTEGRITY_SCHEDULE_CRON are both set: keep one (the cron form)' })
    }
  })

export type AppConfig = z.infer<typeof EnvSchema> & {
  /** Absolute path of DATA_DIR. */
  dataPath: string
  /** True when no DATABASE_URL is given: the embedded cluster with the DoR demo is the target. */
  embeddedTarget: boolean
}

function withoutEmptyValues(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v.trim() !== '') out[k] = v
  return out
}

export interface LoadOptions {
  /** The web server needs a session secret; the CLI does not. */
  purpose?: 'server' | 'cli'
}

export function loadConfig(env: Record<string, string | undefined> = process.env, opts: LoadOptions = {}): AppConfig {
  const parsed = EnvSchema.safeParse(withoutEmptyValues(env))
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const name = String(issue.path[0] ?? 'environment')
    throw new ConfigError(`Configuration error: ${name} ${issue.message}`)
  }
  // A real target means a real deployment: a secret generated under .data/ is not good enough there.
  if (opts.purpose === 'server' && parsed.data.DATABASE_URL && !parsed.data.AUTH_SECRET) {
    throw new ConfigError(
      'Configuration error: AUTH_SECRET is required when DATABASE_URL is set (generate one with `openssl rand -base64 32`)',
    )
  }
  return {
    ...parsed.data,
    dataPath: path.resolve(parsed.data.DATA_DIR),
    embeddedTarget: !parsed.data.DATABASE_URL,
  }
}
