import 'server-only'
import { backupKeys } from '../backups/config-keys'
import { loadConfig } from '../config'
import { dashboardPoolUse, integrityTargetDb, integrityWriterDb, maintenanceDb, migratorDb, ruleReader, stateDb, targetDb } from '../db/server-dbs'
import { targetIdentity } from '../db/target-identity'
import { samplerSettings } from '../metrics/sampler-settings'
import { serverEnv } from '../runtime/server-env'
import type { JobServices } from './job-kind'
import { JobSystem, parseConcurrency } from './job-system'
import { configuredSchedules } from './schedule-config'

// One per server process, on globalThis: instrumentation.ts and the app's bundles are separate
// module graphs that must share it.
const holder = globalThis as unknown as { __dbadminJobs?: Promise<JobSystem> }

async function serverServices(): Promise<JobServices> {
  const env = serverEnv()
  return {
    state: stateDb(),
    target: await targetIdentity(integrityTargetDb()),
    targetUrl: env.targetUrl,
    migratorUrl: env.capabilities.migrator,
    backupUrl: env.capabilities.backup,
    targetDb,
    migratorDb,
    integrityDb: integrityTargetDb,
    integrityWriterDb,
    maintenanceDb,
    ruleReader,
    sampler: samplerSettings(env.metrics, dashboardPoolUse),
    settings: {
      integrityCheckTimeoutMs: env.integrityCheckTimeoutMs,
      migrationLockTimeoutMs: env.migrationLockTimeoutMs,
      migrationStatementTimeoutMs: env.migrationStatementTimeoutMs,
      pgBinDir: env.pgBinDir,
      dataPath: env.dataPath,
      backupKeys: backupKeys(loadConfig()),
      auditRetentionDays: env.jobs.AUDIT_RETENTION_DAYS,
      alembic: env.alembic,
    },
  }
}

/**
 * The web server's job system: started at server start (instrumentation.ts), or by the first
 * action that queues a job. It runs workers unless JOBS_WORKER=0, keeps pg-boss's maintenance and
 * cron monitor, and applies the configured schedules.
 */
export function serverJobs(): Promise<JobSystem> {
  holder.__dbadminJobs ??= (async () => {
    const env = serverEnv()
    const system = new JobSystem({
      stateUrl: env.stateUrl,
      services: await serverServices(),
      work: env.jobs.JOBS_WORKER === '1',
      supervise: true,
      schedules: configuredSchedules(env.jobs),
      concurrency: parseConcurrency(env.jobs.JOBS_CONCURRENCY),
      applicationName: 'dor-db-admin (jobs)',
    })
    return system.start()
  })()
  // A start that failed (state database down) is tried again by the next caller.
  holder.__dbadminJobs.catch(() => (holder.__dbadminJobs = undefined))
  return holder.__dbadminJobs
}

/** Stops the job system if this process started one (scripts/web-server.ts on SIGTERM, tests). */
export async function stopServerJobs(): Promise<void> {
  const started = holder.__dbadminJobs
  holder.__dbadminJobs = undefined
  if (started) await (await started.catch(() => null))?.stop()
}
