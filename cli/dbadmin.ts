import type { Kysely } from 'kysely'
import { ConfigError, loadConfig } from '../lib/config'
import { createDb } from '../lib/db/connect'
import { prepareRuntime, type Runtime } from '../lib/runtime/prepare-runtime'
import { CliError, parseArgs } from './args'
import { healthCommand } from './commands/health'
import { integrityCommand } from './commands/integrity'
import { migrateCommand } from './commands/migrate'
import { schemaCommand } from './commands/schema'
import { userCommand } from './commands/users'
import type { CliContext } from './context'

const COMMANDS: Record<string, { run: (ctx: CliContext) => Promise<void>; help: string }> = {
  health: { run: healthCommand, help: 'health [--json]             server version, database size, connections' },
  integrity: {
    run: integrityCommand,
    help: 'integrity [--json] [--fail-on-findings] | integrity fixes | integrity restore --fix N|--file F  checks; list and undo orphan fixes',
  },
  migrate: {
    run: migrateCommand,
    help: 'migrate status|up|down|history|dry-run|rehearse|replay|drift [--json]  DoR migrations, same lock and history as the page',
  },
  schema: {
    run: schemaCommand,
    help: 'schema [--json] [--system]  the live schema; schema snapshot|snapshots|diff --from ID|live [--to ID|live]',
  },
  user: { run: userCommand, help: 'user add|list [--json]      manage dashboard users' },
}

function usage(): string {
  return [
    'usage: dbadmin <command> [options]',
    '',
    ...Object.values(COMMANDS).map((c) => '  ' + c.help),
    '',
    'Reads DATABASE_URL and STATE_DATABASE_URL; with neither set it uses the embedded demo cluster,',
    'starting it when it is not running.',
  ].join('\n')
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv)
  const name = args.positional[0]
  if (!name || args.flags.help || name === 'help') {
    process.stdout.write(usage() + '\n')
    return name ? 0 : 2
  }
  const command = COMMANDS[name]
  if (!command) throw new CliError(`unknown command "${name}"\n${usage()}`)

  const config = loadConfig(process.env, { purpose: 'cli' })
  const runtime: Runtime = await prepareRuntime(config, {
    whenRunning: 'share',
    log: (line) => process.stderr.write(line + '\n'),
    createFirstAdmin: false,
  })
  const dbs: Kysely<any>[] = []
  const open = (url: string) => {
    const db = createDb(url, { max: 2, applicationName: 'dbadmin cli' })
    dbs.push(db)
    return db
  }
  let target: Kysely<any> | undefined
  let state: Kysely<any> | undefined
  const ctx: CliContext = {
    args,
    json: args.flags.json === true,
    config,
    targetUrl: runtime.targetUrl,
    target: () => (target ??= open(runtime.targetUrl)),
    state: () => (state ??= open(runtime.stateUrl)),
    print: (value) => process.stdout.write(JSON.stringify(value) + '\n'),
    out: (text) => process.stdout.write(text + '\n'),
  }
  try {
    await command.run(ctx)
    return 0
  } finally {
    await Promise.all(dbs.map((db) => db.destroy()))
    await runtime.cluster?.stop()
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof CliError) process.stderr.write(`dbadmin: ${e.message}\n`)
    else if (e instanceof ConfigError) process.stderr.write(`dbadmin: ${e.message}\n`)
    else process.stderr.write(`dbadmin: ${(e as Error)?.message ?? String(e)}\n`)
    process.exit(e instanceof CliError ? e.exitCode : 1)
  },
)
