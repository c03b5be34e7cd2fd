import type { Kysely } from 'kysely'
import { createDb } from '../lib/db/connect'
import { restrictedReader } from '../lib/db/reader-login'
import type { RestrictedReader } from '../lib/db/reader-login'
import { targetIdentity } from '../lib/db/target-identity'
import type { JobServices } from '../lib/jobs/job-kind'
import { JobSystem, type JobSystemOptions } from '../lib/jobs/job-system'
import type { CliContext } from './context'

/** What a job run by the CLI (or `dbadmin jobs worker`) needs, built from its configuration. */
export async function cliJobServices(ctx: Omit<CliContext, 'jobs'>, opened: Kysely<any>[]): Promise<JobServices> {
  let integrity: Kysely<any> | undefined
  let reader: RestrictedReader | undefined
  const integrityDb = () => {
    if (!integrity) {
      // Each check is one statement: statement_timeout bounds every check on its own.
      integrity = createDb(ctx.targetUrl, {
        max: 4,
        applicationName: 'dbadmin integrity',
        statementTimeoutMs: ctx.config.INTEGRITY_CHECK_TIMEOUT_MS,
        rowSecurityOff: true,
      })
      opened.push(integrity)
    }
    return integrity
  }
  return {
    state: ctx.state(),
    target: await targetIdentity(ctx.target()),
    targetUrl: ctx.targetUrl,
    targetDb: () => ctx.target(),
    integrityDb,
    ruleReader: () =>
      (reader ??= restrictedReader({ configuredUrl: ctx.config.RULE_READER_DATABASE_URL, target: integrityDb(), targetUrl: ctx.targetUrl, state: ctx.state() })),
    settings: {
      integrityCheckTimeoutMs: ctx.config.INTEGRITY_CHECK_TIMEOUT_MS,
      migrationLockTimeoutMs: ctx.config.MIGRATION_LOCK_TIMEOUT_MS,
      migrationStatementTimeoutMs: ctx.config.MIGRATION_STATEMENT_TIMEOUT_MS,
      pgBinDir: ctx.config.PG_BIN_DIR,
      dataPath: ctx.config.dataPath,
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
