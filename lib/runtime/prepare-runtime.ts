import path from 'node:path'
import type { AppConfig } from '../config'
import { createDb } from '../db/connect'
import { buildDemoDatabase } from '../demo/prepare-demo'
import { type EmbeddedCluster, startCluster } from '../embedded/cluster'
import { migrateStateDb } from '../state/migrate-state'
import { databaseExists, dropDatabase, ensureDatabase, renameDatabase } from './cluster-databases'
import { ensureFirstAdmin, type FirstAdmin } from './first-admin'
import { startHousekeeping } from './start-housekeeping'
import { capabilityUrls } from '../db/capabilities'
import { loadOrCreateSecrets } from './secrets'

export const DEMO_DATABASE = 'dor'
export const STATE_DATABASE = 'dbadmin_state'

export interface Runtime {
  targetUrl: string
  stateUrl: string
  /** The target is the embedded DoR demo. */
  demo: boolean
  /** Undefined only for the CLI with both URLs set and no AUTH_SECRET: it signs no sessions. */
  authSecret: string | undefined
  cluster: EmbeddedCluster | null
  firstAdmin: FirstAdmin
}

export interface PrepareOptions {
  /** See ClusterOptions.whenRunning. */
  whenRunning: 'adopt' | 'share'
  log?: (line: string) => void
  /**
   * The web server creates the first admin and prints a generated password once, in its own
   * terminal. The CLI does not: its stderr may be an unattended job's log.
   */
  createFirstAdmin?: boolean
}

/**
 * Everything start-up needs before the web server or a CLI command can run: the embedded cluster
 * when a database URL is missing, the demo target, the migrated state database and a first admin.
 * With DATABASE_URL set nothing is written to the target.
 */
export async function prepareRuntime(config: AppConfig, opts: PrepareOptions): Promise<Runtime> {
  const log = opts.log ?? (() => {})
  const needCluster = !config.DATABASE_URL || !config.STATE_DATABASE_URL
  let cluster: EmbeddedCluster | null = null
  let authSecret = config.AUTH_SECRET

  try {
    if (needCluster) {
      const secrets = loadOrCreateSecrets(config.dataPath)
      authSecret ??= secrets.authSecret
      cluster = await startCluster({
        pgdata: path.join(config.dataPath, 'postgres'),
        password: secrets.postgresPassword,
        whenRunning: opts.whenRunning,
      })
      log(
        cluster.startedHere
          ? `Embedded PostgreSQL 15 started on 127.0.0.1:${cluster.port} (data in ${config.dataPath}/postgres)`
          : `Embedded PostgreSQL already running on 127.0.0.1:${cluster.port}; reusing it`,
      )
    }

    let targetUrl = config.DATABASE_URL
    if (!targetUrl) {
      targetUrl = await ensureDemoDatabase(cluster!, log)
    }

    let stateUrl = config.STATE_DATABASE_URL
    if (!stateUrl) {
      await ensureDatabase(cluster!.url('postgres'), STATE_DATABASE)
      stateUrl = cluster!.url(STATE_DATABASE)
    }

    const stateDb = createDb(stateUrl, { max: 1 })
    let firstAdmin: FirstAdmin
    try {
      const applied = await migrateStateDb(stateDb)
      if (applied.length) log(`State database migrated: ${applied.join(', ')}`)
      await startHousekeeping(stateDb, capabilityUrls(targetUrl, config), log)
      firstAdmin =
        opts.createFirstAdmin === false
          ? { created: false }
          : await ensureFirstAdmin(stateDb, { email: config.ADMIN_EMAIL, password: config.ADMIN_PASSWORD })
    } finally {
      await stateDb.destroy()
    }

    return { targetUrl, stateUrl, demo: !config.DATABASE_URL, authSecret, cluster, firstAdmin }
  } catch (e) {
    if (cluster?.startedHere) await cluster.stop()
    throw e
  }
}

/**
 * The demo is built in a scratch database and renamed to `dor` only when complete, so that an
 * interrupted first start never leaves a half-seeded demo behind.
 */
async function ensureDemoDatabase(cluster: EmbeddedCluster, log: (line: string) => void): Promise<string> {
  const admin = cluster.url('postgres')
  if (await databaseExists(admin, DEMO_DATABASE)) return cluster.url(DEMO_DATABASE)
  const building = `${DEMO_DATABASE}_building`
  await dropDatabase(admin, building)
  await ensureDatabase(admin, building)
  const db = createDb(cluster.url(building), { max: 1 })
  try {
    const summary = await buildDemoDatabase(db)
    log(`DoR demo database created: ${JSON.stringify(summary)}`)
  } finally {
    await db.destroy()
  }
  await renameDatabase(admin, building, DEMO_DATABASE)
  return cluster.url(DEMO_DATABASE)
}
