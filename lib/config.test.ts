import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, type LoadOptions, loadConfig } from './config'

const SECRET = 'x'.repeat(32)
const PG_URL = 'postgres://dor:pw@db.example.org:5432/dor'

/** The ConfigError thrown for an environment; fails the test when nothing is thrown. */
function configError(env: Record<string, string>, opts?: LoadOptions): ConfigError {
  try {
    loadConfig(env, opts)
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError)
    return e as ConfigError
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`)
}

function expectOneLineNaming(error: ConfigError, variable: string) {
  expect(error.name).toBe('ConfigError')
  expect(error.message).not.toMatch(/[\r\n]/)
  expect(error.message.startsWith(`Configuration error: ${variable} `)).toBe(true)
}

describe('loadConfig defaults', () => {
  it('fills every default from an empty environment', () => {
    expect(loadConfig({})).toEqual({
      AUDIT_RETENTION_DAYS: 365,
      AUDIT_PRUNE_CRON: '30 4 * * *',
      PORT: 3000,
      HOSTNAME: '0.0.0.0',
      SESSION_HOURS: 8,
      DATA_DIR: '.data',
      PG_BIN_DIR: '/usr/lib/postgresql/15/bin',
      TARGET_STATEMENT_TIMEOUT_MS: 30_000,
      MIGRATION_LOCK_TIMEOUT_MS: 5_000,
      MIGRATION_STATEMENT_TIMEOUT_MS: 900_000,
      INTEGRITY_CHECK_TIMEOUT_MS: 300_000,
      JOBS_TIMEZONE: 'UTC',
      JOBS_WORKER: '1',
      BACKUP_UPLOAD_MAX_BYTES: 10 * 1024 ** 3,
      TRUST_PROXY: 0,
      ALEMBIC_COMMAND: ['alembic'],
      ALEMBIC_TIMEOUT_MS: 900_000,
      METRICS_INTERVAL_SECONDS: 15,
      METRICS_RAW_RETENTION_HOURS: 48,
      METRICS_5M_RETENTION_DAYS: 30,
      METRICS_1H_RETENTION_DAYS: 365,
      ALERT_WEBHOOK_FORMAT: 'json',
      dataPath: path.resolve('.data'),
      embeddedTarget: true,
    })
  })

  it('coerces numbers and marks a real target', () => {
    const config = loadConfig({ DATABASE_URL: PG_URL, AUTH_SECRET: SECRET, PORT: '8080', SESSION_HOURS: '12' })
    expect(config.PORT).toBe(8080)
    expect(config.SESSION_HOURS).toBe(12)
    expect(config.DATABASE_URL).toBe(PG_URL)
    expect(config.embeddedTarget).toBe(false)
  })

  it('accepts postgresql:// as well as postgres://', () => {
    const url = 'postgresql://dor@localhost/dor'
    expect(loadConfig({ DATABASE_URL: url, AUTH_SECRET: SECRET }).DATABASE_URL).toBe(url)
  })

  it('takes backup encryption by passphrase or by recipients, not both', () => {
    const recipient = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p'
    expect(loadConfig({ BACKUP_ENCRYPTION_RECIPIENTS: `${recipient}, ${recipient}` }).BACKUP_ENCRYPTION_RECIPIENTS).toContain(recipient)
    expectOneLineNaming(configError({ BACKUP_ENCRYPTION_PASSPHRASE: 'long enough passphrase', BACKUP_ENCRYPTION_RECIPIENTS: recipient }), 'BACKUP_ENCRYPTION_RECIPIENTS')
    expectOneLineNaming(configError({ BACKUP_ENCRYPTION_RECIPIENTS: 'ssh-ed25519 AAAA' }), 'BACKUP_ENCRYPTION_RECIPIENTS')
    expectOneLineNaming(configError({ BACKUP_ENCRYPTION_PASSPHRASE: 'short' }), 'BACKUP_ENCRYPTION_PASSPHRASE')
  })

  it('takes metric retention, the storage limit and alert delivery settings', () => {
    const config = loadConfig({
      METRICS_RAW_RETENTION_HOURS: '24',
      STORAGE_LIMIT_BYTES: String(10 * 1024 ** 3),
      SMTP_URL: 'smtp://mail.example.org:2525',
      ALERT_EMAIL_TO: 'ops@example.org, dba@example.org',
      ALERT_WEBHOOK_URL: 'https://hooks.example.org/x',
      ALERT_WEBHOOK_FORMAT: 'slack',
    })
    expect(config).toMatchObject({ METRICS_RAW_RETENTION_HOURS: 24, STORAGE_LIMIT_BYTES: 10 * 1024 ** 3, ALERT_EMAIL_TO: ['ops@example.org', 'dba@example.org'], ALERT_WEBHOOK_FORMAT: 'slack' })
    expectOneLineNaming(configError({ METRICS_RAW_RETENTION_HOURS: '0' }), 'METRICS_RAW_RETENTION_HOURS')
    expectOneLineNaming(configError({ METRICS_5M_RETENTION_DAYS: '1.5' }), 'METRICS_5M_RETENTION_DAYS')
    expectOneLineNaming(configError({ SMTP_URL: 'http://mail.example.org' }), 'SMTP_URL')
    expectOneLineNaming(configError({ ALERT_EMAIL_TO: 'ops@example.org' }), 'SMTP_URL')
    expectOneLineNaming(configError({ SMTP_URL: 'smtp://m', ALERT_EMAIL_TO: 'ops@, x' }), 'ALERT_EMAIL_TO')
    expectOneLineNaming(configError({ ALERT_WEBHOOK_URL: 'ftp://hooks.example.org' }), 'ALERT_WEBHOOK_URL')
  })

  it('ignores variables it does not know', () => {
    expect(loadConfig({ PATH: '/usr/bin', HOME: '/root' })).not.toHaveProperty('PATH')
    expect(loadConfig({ PATH: '/usr/bin', HOME: '/root' })).toEqual(loadConfig({}))
  })
})

describe('loadConfig rejects bad values with one line naming the variable', () => {
  it('PORT that is not a number', () => {
    expectOneLineNaming(configError({ PORT: 'abc' }), 'PORT')
  })

  it('TRUST_PROXY that is not a small whole number', () => {
    for (const value of ['yes', '-1', '1.5', '11']) expectOneLineNaming(configError({ TRUST_PROXY: value }), 'TRUST_PROXY')
    expect(loadConfig({ TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2)
  })

  it('AUDIT_RETENTION_DAYS that is not a whole number of days from 0', () => {
    for (const value of ['a year', '-1', '1.5', '36501']) expectOneLineNaming(configError({ AUDIT_RETENTION_DAYS: value }), 'AUDIT_RETENTION_DAYS')
    expect(loadConfig({ AUDIT_RETENTION_DAYS: '0' }).AUDIT_RETENTION_DAYS).toBe(0)
    expect(loadConfig({ AUDIT_RETENTION_DAYS: '90' }).AUDIT_RETENTION_DAYS).toBe(90)
  })

  it('PORT out of range', () => {
    expectOneLineNaming(configError({ PORT: '70000' }), 'PORT')
    expectOneLineNaming(configError({ PORT: '0' }), 'PORT')
  })

  it('DATABASE_URL that is not PostgreSQL', () => {
    const error = configError({ DATABASE_URL: 'mysql://x', AUTH_SECRET: SECRET })
    expectOneLineNaming(error, 'DATABASE_URL')
    expect(error.message).toBe('Configuration error: DATABASE_URL must be a postgres:// or postgresql:// URL')
  })

  it('RULE_READER_DATABASE_URL that is not PostgreSQL', () => {
    const error = configError({ RULE_READER_DATABASE_URL: 'reader@db.example.org' })
    expect(error.message).toBe('Configuration error: RULE_READER_DATABASE_URL must be a postgres:// or postgresql:// URL')
    expect(loadConfig({ RULE_READER_DATABASE_URL: PG_URL }).RULE_READER_DATABASE_URL).toBe(PG_URL)
  })

  it.each(['MONITOR_DATABASE_URL', 'MIGRATOR_DATABASE_URL', 'BACKUP_DATABASE_URL', 'MAINTENANCE_DATABASE_URL', 'SIGNAL_DATABASE_URL'])('%s that is not PostgreSQL', (name) => {
    const error = configError({ [name]: 'https://db.example.org/dor' })
    expectOneLineNaming(error, name)
    expect(loadConfig({ [name]: PG_URL })[name as 'MONITOR_DATABASE_URL']).toBe(PG_URL)
  })

  it('ALEMBIC_COMMAND that is not a JSON array of strings', () => {
    for (const value of ['alembic upgrade', '[]', '["alembic", 3]', '"alembic"', '["alembic", ""]']) {
      const error = configError({ ALEMBIC_COMMAND: value })
      expect(error.message).toBe('Configuration error: ALEMBIC_COMMAND must be a JSON array of non-empty strings, e.g. ["alembic"]')
    }
    expect(loadConfig({ ALEMBIC_COMMAND: '["alembic", "-c", "/srv/app/alembic.ini"]' }).ALEMBIC_COMMAND).toEqual(['alembic', '-c', '/srv/app/alembic.ini'])
    expect(loadConfig({ ALEMBIC_COMMAND: '["ssh", "root@app-host", "cd /app/backend && alembic"]' }).ALEMBIC_COMMAND).toHaveLength(3)
  })

  it('ADMIN_EMAIL without ADMIN_PASSWORD', () => {
    const error = configError({ ADMIN_EMAIL: 'admin@example.org' })
    expectOneLineNaming(error, 'ADMIN_PASSWORD')
    expect(error.message).toBe('Configuration error: ADMIN_PASSWORD is required when ADMIN_EMAIL is set')
  })

  it('ADMIN_PASSWORD without ADMIN_EMAIL', () => {
    const error = configError({ ADMIN_PASSWORD: 'long-enough-password' })
    expect(error.message).toBe('Configuration error: ADMIN_EMAIL is required when ADMIN_PASSWORD is set')
  })

  it('DATABASE_URL without AUTH_SECRET, for the server', () => {
    const error = configError({ DATABASE_URL: PG_URL }, { purpose: 'server' })
    expectOneLineNaming(error, 'AUTH_SECRET')
    expect(error.message).toBe(
      'Configuration error: AUTH_SECRET is required when DATABASE_URL is set (generate one with `openssl rand -base64 32`)',
    )
    expect(loadConfig({ DATABASE_URL: PG_URL, AUTH_SECRET: SECRET }, { purpose: 'server' }).AUTH_SECRET).toBe(SECRET)
  })

  it('DATABASE_URL without AUTH_SECRET is fine for the CLI, which signs no sessions', () => {
    expect(loadConfig({ DATABASE_URL: PG_URL }, { purpose: 'cli' }).DATABASE_URL).toBe(PG_URL)
    expect(loadConfig({ DATABASE_URL: PG_URL }).embeddedTarget).toBe(false)
  })

  it('the server without DATABASE_URL needs no AUTH_SECRET (one is generated under .data)', () => {
    expect(loadConfig({}, { purpose: 'server' }).AUTH_SECRET).toBeUndefined()
  })

  it('AUTH_SECRET shorter than 32 characters', () => {
    const error = configError({ AUTH_SECRET: 'x'.repeat(31) })
    expect(error.message).toBe('Configuration error: AUTH_SECRET must be at least 32 characters')
    expect(loadConfig({ AUTH_SECRET: SECRET }).AUTH_SECRET).toBe(SECRET)
  })
})

describe('loadConfig treats empty strings as unset', () => {
  it('uses defaults for empty and blank values', () => {
    const config = loadConfig({ PORT: '', HOSTNAME: '   ', DATA_DIR: '', SESSION_HOURS: '' })
    expect(config.PORT).toBe(3000)
    expect(config.HOSTNAME).toBe('0.0.0.0')
    expect(config.DATA_DIR).toBe('.data')
    expect(config.SESSION_HOURS).toBe(8)
  })

  it('an empty DATABASE_URL means the embedded target and needs no AUTH_SECRET', () => {
    const config = loadConfig({ DATABASE_URL: '', AUTH_SECRET: '' }, { purpose: 'server' })
    expect(config.DATABASE_URL).toBeUndefined()
    expect(config.AUTH_SECRET).toBeUndefined()
    expect(config.embeddedTarget).toBe(true)
  })

  it('an empty ADMIN_PASSWORD counts as missing, an empty ADMIN_EMAIL as absent', () => {
    expect(configError({ ADMIN_EMAIL: 'admin@example.org', ADMIN_PASSWORD: '' }).message).toBe(
      'Configuration error: ADMIN_PASSWORD is required when ADMIN_EMAIL is set',
    )
    expect(loadConfig({ ADMIN_EMAIL: '', ADMIN_PASSWORD: '' }).ADMIN_EMAIL).toBeUndefined()
  })
})
