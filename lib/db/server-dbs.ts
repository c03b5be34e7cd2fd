import 'server-only'
import type { Kysely } from 'kysely'
import type { StateDatabase } from '@/db/state-schema'
import { serverEnv } from '../runtime/server-env'
import type pg from 'pg'
import type { DbCapability } from './capabilities'
import { type ConnectOptions, createDb, poolOf } from './connect'
import { flushQueryFailures, setQueryFailureSink } from './query-failures'
import { type RestrictedReader, restrictedReader } from './reader-login'
import { type PoolUse, poolUse } from '../metrics/take-sample'
import { targetIdentity } from './target-identity'

// Kept on globalThis so that dev-mode module reloads do not open a new pool each time.
const pools = globalThis as unknown as { __dbadminPools?: Map<string, Kysely<any>>; __dbadminRuleReader?: RestrictedReader }

// The failures of the target's pools are written to the state database, for the alert rule on them.
setQueryFailureSink(async () => void (await flushQueryFailures(stateDb(), (await targetIdentity(targetDb())).key)))

function pool(name: string, url: string, opts: ConnectOptions): Kysely<any> {
  pools.__dbadminPools ??= new Map()
  let db = pools.__dbadminPools.get(name)
  if (!db) {
    db = createDb(url, opts)
    pools.__dbadminPools.set(name, db)
  }
  return db
}

/**
 * The use of the dashboard's pools to the managed database (all but the state pool) now, for the
 * health samples: connections checked out, their sum of sizes, callers waiting.
 */
export function dashboardPoolUse(): PoolUse {
  const targetPools = [...(pools.__dbadminPools ?? new Map<string, Kysely<any>>()).entries()].filter(([name]) => name !== 'state').flatMap(([, db]) => poolOf(db) ?? [])
  return poolUse(targetPools)
}

/** The dashboard's own database: users, audit log, history. */
export function stateDb(): Kysely<StateDatabase> {
  return pool('state', serverEnv().stateUrl, { max: 5, applicationName: 'dor-db-admin (state)' })
}

/**
 * The managed database as the monitoring login (MONITOR_DATABASE_URL, else DATABASE_URL): page
 * reads of the catalog and statistics. It may not read table data: use dataReaderDb() for that.
 * Every dashboard query on it carries a statement timeout.
 */
export function targetDb(): Kysely<any> {
  const env = serverEnv()
  return pool('target', env.capabilities.monitor, { countFailures: true, max: 4, applicationName: 'dor-db-admin', statementTimeoutMs: env.targetStatementTimeoutMs })
}

/**
 * The managed database as the backup login (BACKUP_DATABASE_URL), which reads every table and
 * writes nothing: the pages' reads of table data (previews, revealed values, orphan samples and CSV).
 */
export function dataReaderDb(): Kysely<any> {
  const env = serverEnv()
  return pool('data-reader', env.capabilities.backup, { countFailures: true, max: 4, applicationName: 'dor-db-admin (read)', statementTimeoutMs: env.targetStatementTimeoutMs })
}

/**
 * The managed database for integrity runs and the checks behind the integrity pages, as the backup
 * login (reads, writes nothing): a small pool of its own whose statement timeout is the per-check
 * one (INTEGRITY_CHECK_TIMEOUT_MS), since each check is one statement that may scan a large table.
 */
export function integrityTargetDb(): Kysely<any> {
  const env = serverEnv()
  return pool('integrity', env.capabilities.backup, {
    max: 4,
    countFailures: true,
    applicationName: 'dbadmin integrity',
    statementTimeoutMs: env.integrityCheckTimeoutMs,
    rowSecurityOff: true,
  })
}

/**
 * The managed database for changes to its data and constraints, as the migrator (the owner):
 * orphan fixes and their restores, validating constraints. The per-check statement timeout.
 */
export function integrityWriterDb(): Kysely<any> {
  const env = serverEnv()
  // A fix holds one connection for its cursor while the page reads on another.
  return pool('integrity-writer', env.capabilities.migrator, {
    max: 3,
    countFailures: true,
    applicationName: 'dbadmin integrity fix',
    statementTimeoutMs: env.integrityCheckTimeoutMs,
    rowSecurityOff: true,
  })
}

/** The managed database as the migrator: migration status and history, acknowledgements. Runs open sessions of their own. */
export function migratorDb(): Kysely<any> {
  const env = serverEnv()
  return pool('migrator', env.capabilities.migrator, { countFailures: true, max: 2, applicationName: 'dor-db-admin (migrations)', statementTimeoutMs: env.targetStatementTimeoutMs })
}

/** The managed database as the maintenance login: VACUUM, ANALYZE, REINDEX (no statement timeout: they may be long). */
export function maintenanceDb(): Kysely<any> {
  // runMaintenance holds one connection and cancels on a second; a page's job list reads on a third.
  return pool('maintenance', serverEnv().capabilities.maintenance, { countFailures: true, max: 3, applicationName: 'dor-db-admin (maintenance)' })
}

/**
 * The managed database as the signalling login (SIGNAL_DATABASE_URL, else DATABASE_URL): Cancel and
 * Terminate on the Activity page, and nothing else. The least-privilege script gives that login
 * pg_signal_backend alone, which no other login of the dashboard holds.
 */
export function signalDb(): Kysely<any> {
  const env = serverEnv()
  return pool('signal', env.capabilities.signal, { max: 2, applicationName: 'dor-db-admin (signal)', statementTimeoutMs: env.targetStatementTimeoutMs })
}

/** The pool a capability's page note and banner speak of. */
export function capabilityDb(capability: DbCapability): Kysely<any> {
  switch (capability) {
    case 'monitor':
      return targetDb()
    case 'migrator':
      return migratorDb()
    case 'backup':
      return dataReaderDb()
    case 'maintenance':
      return maintenanceDb()
    case 'signal':
      return signalDb()
  }
}

/**
 * Where admins' own rules (and other user-written SQL) run: RULE_READER_DATABASE_URL, or a
 * read-only role the dashboard creates on the target. Each use opens and closes a session of its
 * own, so there is no pool; what is kept is the login.
 */
export function ruleReader(): RestrictedReader {
  const env = serverEnv()
  pools.__dbadminRuleReader ??= restrictedReader({
    configuredUrl: env.ruleReaderUrl ?? undefined,
    // Creating the managed role is nobody's capability: DATABASE_URL's login does it, when it may.
    target: pool('rule-reader-admin', env.targetUrl, { max: 1, applicationName: 'dor-db-admin (rule reader setup)' }),
    targetUrl: env.targetUrl,
    state: stateDb(),
  })
  return pools.__dbadminRuleReader
}

/** A one-connection pool per login URL, for looking at the login itself (its role, its SSL). */
export function loginDb(url: string): Kysely<any> {
  return pool(`login:${url}`, url, { max: 1, applicationName: 'dor-db-admin (login check)', statementTimeoutMs: 5_000 })
}

/** The pools this server process has opened so far, by name (state, target, integrity, maintenance). */
export function openPools(): Record<string, pg.Pool> {
  const out: Record<string, pg.Pool> = {}
  for (const [name, db] of pools.__dbadminPools ?? []) {
    const pool = poolOf(db)
    if (pool) out[name] = pool
  }
  return out
}

/** Closes every pool opened here (tests; a server ends with its process). */
export async function closeServerDbs(): Promise<void> {
  const open = [...(pools.__dbadminPools?.values() ?? [])]
  pools.__dbadminRuleReader = undefined
  pools.__dbadminPools?.clear()
  await Promise.all(open.map((db) => db.destroy()))
}
