import 'server-only'
import type { Kysely } from 'kysely'
import { serverEnv } from '../runtime/server-env'
import { createDb } from './connect'

// Kept on globalThis so that dev-mode module reloads do not open a new pool each time.
const pools = globalThis as unknown as { __dbadminState?: Kysely<any>; __dbadminTarget?: Kysely<any> }

/** The dashboard's own database: users, audit log, history. */
export function stateDb(): Kysely<any> {
  pools.__dbadminState ??= createDb(serverEnv().stateUrl, { max: 5, applicationName: 'dor-db-admin (state)' })
  return pools.__dbadminState
}

/** The managed database. Every dashboard query on it carries a statement timeout. */
export function targetDb(): Kysely<any> {
  const env = serverEnv()
  pools.__dbadminTarget ??= createDb(env.targetUrl, {
    max: 4,
    applicationName: 'dor-db-admin',
    statementTimeoutMs: env.targetStatementTimeoutMs,
  })
  return pools.__dbadminTarget
}
