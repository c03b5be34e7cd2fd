import { ConfigError } from '../config'

/**
 * The dashboard reaches the target with one login per capability, so that each job runs with only
 * the rights it needs (lib/security/least-privilege.ts makes such roles). Every one defaults to
 * DATABASE_URL; the rule reader has its own (RULE_READER_DATABASE_URL, lib/db/reader-login.ts).
 */
export const DB_CAPABILITIES = ['monitor', 'migrator', 'backup', 'maintenance', 'signal'] as const
export type DbCapability = (typeof DB_CAPABILITIES)[number]

export const CAPABILITY_ENV = {
  monitor: 'MONITOR_DATABASE_URL',
  migrator: 'MIGRATOR_DATABASE_URL',
  backup: 'BACKUP_DATABASE_URL',
  maintenance: 'MAINTENANCE_DATABASE_URL',
  signal: 'SIGNAL_DATABASE_URL',
} as const satisfies Record<DbCapability, string>

/** What each login is used for, and nothing else. */
export const CAPABILITY_JOBS: Record<DbCapability, string> = {
  monitor: 'page reads of the catalog and statistics: overview, schema model and snapshots, health, run-lock and leftover checks',
  migrator: 'migrations (status, apply, roll back, dry runs, rehearsals), validating constraints, orphan fixes and their restores',
  backup: 'pg_dump of table DDL and the dashboard’s own reads of table data: integrity checks, data previews, orphan samples and CSV',
  maintenance: 'VACUUM, ANALYZE, REINDEX',
  signal: 'Cancel and Terminate of other sessions on the Activity page (pg_signal_backend)',
}

export type CapabilityUrls = Record<DbCapability, string>

function databaseOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, '')) || 'postgres'
}

/**
 * The URL of each capability: its variable, or the target's. A capability URL naming another
 * database than the target's is a mistake that would split the dashboard across two databases.
 */
export function capabilityUrls(targetUrl: string, env: Partial<Record<(typeof CAPABILITY_ENV)[DbCapability], string | undefined>>): CapabilityUrls {
  const out = {} as CapabilityUrls
  for (const c of DB_CAPABILITIES) {
    const url = env[CAPABILITY_ENV[c]] || targetUrl
    if (databaseOf(url) !== databaseOf(targetUrl)) {
      throw new ConfigError(
        `Configuration error: ${CAPABILITY_ENV[c]} names the database ${databaseOf(url)}, but the managed database is ${databaseOf(targetUrl)}: every capability must reach the same database`,
      )
    }
    out[c] = url
  }
  return out
}
