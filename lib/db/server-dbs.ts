import 'server-only'
import type { Kysely } from 'kysely'
import { serverEnv } from '../runtime/server-env'
import type pg from 'pg'
import { type ConnectOptions, createDb, poolOf } from './connect'
import { type RestrictedReader, restrictedReader } from './reader-login'

// Kept on globalThis so that dev-mode module reloads do not open a new pool each time.
const pools = globalThis as unknown as { __dbadminPools?: Map<string, Kysely<any>>; __dbadminRuleReader?: RestrictedReader }

function pool(name: string, url: string, opts: ConnectOptions): Kysely<any> {
  pools.__dbadminPools ??= new Map()
  let db = pools.__dbadminPools.get(name)
  if (!db) {
    db = createDb(url, opts)
    pools.__dbadminPools.set(name, db)
  }
  return db
}

/** The dashboard's own database: users, audit log, history. */
export function stateDb(): Kysely<any> {
  return pool('state', serverEnv().stateUrl, { max: 5, applicationName: 'dor-db-admin (state)' })
}

/** The managed database. Every dashboard query on it carries a statement timeout. */
export function targetDb(): Kysely<any> {
  const env = serverEnv()
  return pool('target', env.targetUrl, { max: 4, applicationName: 'dor-db-admin', statementTimeoutMs: env.targetStatementTimeoutMs })
}

/**
 * The managed database for integrity runs, validations and fixes: a small pool of its own whose
 * statement timeout is the per-check one (INTEGRITY_CHECK_TIMEOUT_MS), since each check is one
 * statement that may scan a large table. Page reads keep using targetDb() and its shorter timeout.
 */
export function integrityTargetDb(): Kysely<any> {
  const env = serverEnv()
  // A fix holds one connection for its cursor while a run counts on another: room for both and the page's actions.
  return pool('integrity', env.targetUrl, {
    max: 4,
    applicationName: 'dbadmin integrity',
    statementTimeoutMs: env.integrityCheckTimeoutMs,
    rowSecurityOff: true,
  })
}

/**
 * The managed database for maintenance jobs (VACUUM, ANALYZE, REINDEX, index builds), which run
 * without a statement timeout for as long as the table needs: a pool of their own, so that a long
 * VACUUM never holds one of the page reads' connections. runMaintenance needs a second connection
 * to cancel on.
 */
export function maintenanceTargetDb(): Kysely<any> {
  return pool('maintenance', serverEnv().targetUrl, { max: 3, applicationName: 'dor-db-admin maintenance' })
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
    target: integrityTargetDb(),
    targetUrl: env.targetUrl,
    state: stateDb(),
  })
  return pools.__dbadminRuleReader
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
