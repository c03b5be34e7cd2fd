import type { Kysely } from 'kysely'
import {
  applyLeastPrivilege,
  type Capability,
  CAPABILITIES,
  CAPABILITY_SPECS,
  capabilityUrl,
  type LeastPrivilegeOptions,
  type LeastPrivilegeScript,
  leastPrivilegeScript,
} from './least-privilege'

/** The dashboard's variable for each capability's login (README, "Least privilege for the dashboard itself"). */
export const CAPABILITY_VARIABLES: Record<Capability, string> = {
  monitoring: 'MONITOR_DATABASE_URL',
  rule_reading: 'RULE_READER_DATABASE_URL',
  migration: 'MIGRATOR_DATABASE_URL',
  backup: 'BACKUP_DATABASE_URL',
  maintenance: 'MAINTENANCE_DATABASE_URL',
  signalling: 'SIGNAL_DATABASE_URL',
}

export interface SetupLogin {
  capability: Capability
  variable: string
  login: string
  role: string
  purpose: string
}

/** What the script makes, without running anything: for the page to explain before anyone generates it. */
export function setupLogins(prefix = 'dbadmin'): SetupLogin[] {
  return CAPABILITIES.map((capability) => ({
    capability,
    variable: CAPABILITY_VARIABLES[capability],
    login: `${prefix}_${CAPABILITY_SPECS[capability].login}`,
    role: `${prefix}_${CAPABILITY_SPECS[capability].role}`,
    purpose: CAPABILITY_SPECS[capability].purpose,
  }))
}

export interface SetupScriptBundle {
  database: string
  /** The SQL to run as a superuser: one transaction, passwords only as SCRAM verifiers. */
  script: string
  /**
   * The dashboard's settings for the new logins, one `VARIABLE='url'` line each, with their
   * passwords: shown once, never stored. DATABASE_URL becomes the monitoring login.
   */
  environment: string
  notes: string[]
  logins: SetupLogin[]
}

const shellQuoted = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`

function bundleOf(script: LeastPrivilegeScript, targetUrl: string, prefix: string | undefined): SetupScriptBundle {
  const urls = new Map(script.capabilities.map((c) => [c.capability, capabilityUrl(targetUrl, c)]))
  const lines = [
    // With every capability on its own login, DATABASE_URL only sets up the managed rule reader: the least of them.
    `DATABASE_URL=${shellQuoted(urls.get('monitoring')!)}`,
    ...CAPABILITIES.map((c) => `${CAPABILITY_VARIABLES[c]}=${shellQuoted(urls.get(c)!)}`),
  ]
  return {
    database: script.database,
    script: script.text,
    environment: lines.join('\n') + '\n',
    notes: script.notes,
    logins: setupLogins(prefix),
  }
}

/**
 * The least-privilege script together with the settings that make the dashboard use its logins:
 * the passwords are generated here, once, and exist only in what this returns.
 */
export async function setupScriptBundle(db: Kysely<any>, targetUrl: string, opts: LeastPrivilegeOptions = {}): Promise<SetupScriptBundle> {
  return bundleOf(await leastPrivilegeScript(db, opts), targetUrl, opts.prefix)
}

/** Runs the script on `db` (one transaction: all or nothing) and returns it with the settings of the logins it made. */
export async function applySetupScript(db: Kysely<any>, targetUrl: string, opts: LeastPrivilegeOptions = {}): Promise<SetupScriptBundle> {
  return bundleOf(await applyLeastPrivilege(db, opts), targetUrl, opts.prefix)
}
