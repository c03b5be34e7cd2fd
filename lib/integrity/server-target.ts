import 'server-only'
import type { Kysely } from 'kysely'
import { createDb } from '../db/connect'
import { serverEnv } from '../runtime/server-env'

// Kept on globalThis so that dev-mode module reloads do not open a new pool each time.
const pools = globalThis as unknown as { __dbadminIntegrityTarget?: Kysely<any> }

/**
 * The managed database for integrity runs, validations and fixes: a small pool of its own whose
 * statement timeout is the per-check one (INTEGRITY_CHECK_TIMEOUT_MS), since each check is one
 * statement that may scan a large table. Page reads keep using targetDb() and its shorter timeout.
 */
export function integrityTargetDb(): Kysely<any> {
  const env = serverEnv()
  pools.__dbadminIntegrityTarget ??= createDb(env.targetUrl, {
    max: 2,
    applicationName: 'dbadmin integrity',
    statementTimeoutMs: env.integrityCheckTimeoutMs,
  })
  return pools.__dbadminIntegrityTarget
}
