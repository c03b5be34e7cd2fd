import { alembicSettings } from '../lib/alembic/settings'
import type { Kysely } from 'kysely'
import { backupKeys } from '../lib/backups/config-keys'
import { createDb } from '../lib/db/connect'
import { restrictedReader } from '../lib/db/reader-login'
import type { RestrictedReader } from '../lib/db/reader-login'
import { targetIdentity } from '../lib/db/target-identity'
import type { JobServices } from '../lib/jobs/job-kind'
import { JOB_KINDS } from '../lib/jobs/all-kinds'
import { markDeadJobs } from '../lib/jobs/dead-jobs'
import { WORKER_GONE } from '../lib/jobs/job-store'
import { samplerSettings } from '../lib/metrics/sampler-settings'
import { JobSystem, type JobSystemOptions } from '../lib/jobs/job-system'
import type { CliContext } from './context'

/** What a job run by the CLI (or `dbadmin jobs worker`) needs, built from its configuration. */
export async function cliJobServices(ctx: Omit<CliContext, 'jobs'>, opened: Kysely<any>[]): Promise<JobServices> {
  let reader: RestrictedReader | undefined
  // Each check (and each batch of a fix) is one statement: statement_timeout bounds every one on its own.
  const perCheck = (url: string, applicationName: string, max: number) => {
    let db: Kysely<any> | undefined
    return () => {
      if (!db) {
        db = createDb(url, { max, applicationName, statementTimeoutMs: ctx.config.INTEGRITY_CHECK_TIMEOUT_MS, rowSecurityOff: true })
        opened.push(db)
      }
      return db
    }
  }
  // Runs read as the backup login (reads every table, writes nothing); fixes change data as the migrator.
  const integrityDb = perCheck(ctx.capabilities.backup, 'dbadmin integrity', 4)
  const integrityWriterDb = perCheck(ctx.capabilities.migrator, 'dbadmin integrity fix', 3)
  return {
    state: ctx.state(),
    target: await targetIdentity(ctx.target()),
    targetUrl: ctx.targetUrl,
    migratorUrl: ctx.capabilities.migrator,
    backupUrl: ctx.capabilities.backup,
    targetDb: () => ctx.target(),
    migratorDb: () => ctx.as('migrator'),
    integrityDb,
    integrityWriterDb,
    maintenanceDb: () => ctx.as('maintenance'),
    ruleReader: () => {
      if (!reader) {
        // Creating the managed role is nobody's capability: DATABASE_URL's login does it, when it may.
        const setup = createDb(ctx.targetUrl, { max: 1, applicationName: 'dbadmin cli (rule reader setup)' })
        opened.push(setup)
        reader = restrictedReader({ configuredUrl: ctx.config.RULE_READER_DATABASE_URL, target: setup, targetUrl: ctx.targetUrl, state: ctx.state() })
      }
      return reader
    },
    // A worker's own pools are not the dashboard's: pool use stays unknown in its samples.
    sampler: samplerSettings(ctx.config),
    settings: {
      integrityCheckTimeoutMs: ctx.config.INTEGRITY_CHECK_TIMEOUT_MS,
      migrationLockTimeoutMs: ctx.config.MIGRATION_LOCK_TIMEOUT_MS,
      migrationStatementTimeoutMs: ctx.config.MIGRATION_STATEMENT_TIMEOUT_MS,
      pgBinDir: ctx.config.PG_BIN_DIR,
      dataPath: ctx.config.dataPath,
      backupKeys: backupKeys(ctx.config),
      auditRetentionDays: ctx.config.AUDIT_RETENTION_DAYS,
      alembic: alembicSettings(ctx.config),
    },
  }
}

export async function startCliJobs(
  ctx: Omit<CliContext, 'jobs'>,
  stateUrl: string,
  opened: Kysely<any>[],
  opts: Pick<JobSystemOptions, 'work' | 'workKinds' | 'supervise' | 'schedules' | 'concurrency'> = { work: false, supervise: false },
): Promise<JobSystem> {
  const system = new JobSystem({
    stateUrl,
    services: await cliJobServices(ctx, opened),
    applicationName: 'dbadmin cli (jobs)',
    log: (line) => process.stderr.write(`dbadmin: ${line}\n`),
    ...opts,
  })
  return system.start()
}

/**
 * Records the jobs whose process died as interrupted, as the job system's sweep does and with this
 * target's logins, so that each kind can clean up after its dead worker: a maintenance statement
 * (VACUUM waiting behind a lock) left running on the server is cancelled. Each such job of this
 * target is said on stderr, once, by whichever command first finds it.
 */
export async function markDeadJobsHere(ctx: CliContext): Promise<void> {
  const services = await ctx.jobServices()
  const dead = await markDeadJobs(ctx.state(), JOB_KINDS, services)
  for (const j of dead) {
    if (j.targetKey === services.target.key) process.stderr.write(`dbadmin: job #${j.id} (${j.kind}) was left running by a process that died: ${j.error ?? WORKER_GONE}\n`)
  }
}
