import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Kysely } from 'kysely'
import type { ActionResult } from '../lib/auth/action-result'
import { type GuardedSpec, runGuarded } from '../lib/auth/guarded-run'
import type { Role } from '../lib/auth/permissions'
import { type FreshDatabase, freshDatabase } from './fresh-db'
import { freshStateDb } from './state-db'

export interface ActionHarness {
  state: Awaited<ReturnType<typeof freshStateDb>>
  target: FreshDatabase
  /** DATA_DIR of the actions under test (backups, saved rows). */
  dataDir: string
  /** Runs a wrapped action's spec as a signed-in user of that role, as the wrapper would. */
  as<T>(role: Role, spec: GuardedSpec<any, T>, rawInput: unknown): Promise<ActionResult<T>>
  close(): Promise<void>
}

/**
 * Fresh state and target databases, and the environment pointing the server modules at them:
 * import an `actions.ts` only after this, since the server modules read the environment once.
 */
export async function openActionHarness(name: string, prepareTarget?: (db: Kysely<any>) => Promise<unknown>): Promise<ActionHarness> {
  const [state, target] = await Promise.all([freshStateDb(), freshDatabase(name)])
  if (prepareTarget) await prepareTarget(target.db)
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`))
  process.env.DBADMIN_TARGET_URL = target.url
  process.env.DBADMIN_STATE_URL = state.url
  process.env.AUTH_SECRET = 'test-secret-test-secret-test-secret-1234'
  process.env.DATA_DIR = dataDir
  return {
    state,
    target,
    dataDir,
    as: (role, spec, rawInput) =>
      runGuarded(spec, { stateDb: state.db, session: { userId: state.users[role].id, sessionVersion: 1 }, clientIp: null, rawInput }),
    async close() {
      // The actions started the server's job system on these databases: it stops before they are dropped.
      await (await import('../lib/jobs/server-jobs')).stopServerJobs()
      const { closeServerDbs } = await import('../lib/db/server-dbs')
      await closeServerDbs()
      await Promise.all([target.drop(), state.drop()])
      fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
