import { describe, expect, it } from 'vitest'
import { ConfigError } from '../config'
import { dashboardLogins } from '../security/dashboard-connections'
import { capabilityUrls } from './capabilities'

const TARGET = 'postgres://owner:pw@db.example.org:5432/dor?sslmode=verify-full&sslrootcert=/etc/ca.crt'
const MONITOR = 'postgres://dbadmin_monitor:m@db.example.org:5432/dor?sslmode=verify-full&sslrootcert=/etc/ca.crt'
const MIGRATOR = 'postgres://dbadmin_migrator:g@db.example.org/dor'

describe('capability URLs', () => {
  it('default to DATABASE_URL, each variable replacing its own', () => {
    expect(capabilityUrls(TARGET, {})).toEqual({ monitor: TARGET, migrator: TARGET, backup: TARGET, maintenance: TARGET, signal: TARGET })
    expect(capabilityUrls(TARGET, { MONITOR_DATABASE_URL: MONITOR, MIGRATOR_DATABASE_URL: MIGRATOR })).toEqual({
      monitor: MONITOR,
      migrator: MIGRATOR,
      backup: TARGET,
      maintenance: TARGET,
      signal: TARGET,
    })
  })

  it('refuse a capability URL naming another database, in one line naming the variable', () => {
    expect(() => capabilityUrls(TARGET, { BACKUP_DATABASE_URL: 'postgres://b@db.example.org/postgres' })).toThrow(ConfigError)
    expect(() => capabilityUrls(TARGET, { BACKUP_DATABASE_URL: 'postgres://b@db.example.org/postgres' })).toThrow(
      'Configuration error: BACKUP_DATABASE_URL names the database postgres, but the managed database is dor: every capability must reach the same database',
    )
    // An encoded name is the same name.
    expect(capabilityUrls('postgres://a@h/d%C3%B6r', { MONITOR_DATABASE_URL: 'postgres://m@h/dör' }).monitor).toBe('postgres://m@h/dör')
  })
})

describe('the dashboard’s logins, for the banner', () => {
  it('lists each URL once with the capabilities using it; DATABASE_URL first, with those that fall back to it', () => {
    expect(dashboardLogins(TARGET, capabilityUrls(TARGET, {}))).toEqual([
      { url: TARGET, variables: ['DATABASE_URL'], capabilities: ['monitor', 'migrator', 'backup', 'maintenance', 'signal'] },
    ])
    expect(dashboardLogins(TARGET, capabilityUrls(TARGET, { MONITOR_DATABASE_URL: MONITOR, MAINTENANCE_DATABASE_URL: MONITOR, MIGRATOR_DATABASE_URL: MIGRATOR }))).toEqual([
      { url: TARGET, variables: ['DATABASE_URL'], capabilities: ['backup', 'signal'] },
      { url: MONITOR, variables: ['MONITOR_DATABASE_URL', 'MAINTENANCE_DATABASE_URL'], capabilities: ['monitor', 'maintenance'] },
      { url: MIGRATOR, variables: ['MIGRATOR_DATABASE_URL'], capabilities: ['migrator'] },
    ])
  })
})
