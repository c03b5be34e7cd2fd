import { spawn } from 'node:child_process'
import { type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeUrl, withDatabase } from '../lib/db/connect'
import { type FreshDatabase, freshDatabase } from '../test/fresh-db'
import { lines, ROOT, type Run, runDbadmin } from '../test/run-command'

// What scripts and CI rely on: whole output through a pipe, strict flags, exit codes and errors
// that say which database failed.

let target: FreshDatabase
let state: FreshDatabase
let untouchedTarget: FreshDatabase
let untouchedState: FreshDatabase

beforeAll(async () => {
  ;[target, state, untouchedTarget, untouchedState] = await Promise.all([
    freshDatabase('cli_pipe_target'),
    freshDatabase('cli_pipe_state'),
    freshDatabase('cli_flags_target'),
    freshDatabase('cli_flags_state'),
  ])
})
afterAll(async () => {
  await Promise.all([target?.drop(), state?.drop(), untouchedTarget?.drop(), untouchedState?.drop()])
})

const env = () => ({ DATABASE_URL: target.url, STATE_DATABASE_URL: state.url })

async function tableCount(db: Kysely<any>): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema')`.execute(db)
  return rows[0].n
}

describe('strict flags', () => {
  it.each([
    [['migrate', 'up', '--dry-run'], 'unknown option --dry-run for "dbadmin migrate up"; it takes [--to NAME] [--json]'],
    [['integrity', '--json', '--fail-on-finding'], 'unknown option --fail-on-finding for "dbadmin integrity"; it takes [--json] [--fail-on-findings] [--allow-check-errors] [--no-wait] [--inline]'],
    [['migrate', 'up', '--to'], '--to needs a value (--to NAME)'],
    [['migrate', 'up', '--to', '--json'], '--to needs a value (--to NAME)'],
    [['health', '--json=yes'], '--json takes no value'],
    [['health', 'now'], 'unexpected argument "now" for "dbadmin health"; it takes [--json]'],
    [['integrity', 'restore', '--fix', '1', '--fix', '2'], '--fix is given twice'],
    [['metrics', '--json'], '--since is required (--since 1h|6h|24h|7d|30d|1y)'],
    [['alerts', '--json', '--watch'], 'unknown option --watch for "dbadmin alerts"; it takes [--json]'],
    [['migrate', 'upp'], 'unknown migrate command "upp" (status, up, down, acknowledge, baseline, decide, history, dry-run, rehearse, replay, drift)'],
    // A missing required flag, or flags that do not go together, stop before the state database is prepared too.
    [['integrity', 'cancel'], '--fix is required (--fix N)'],
    [['integrity', 'cancel', '--fix', 'abc'], '--fix must be a fix or restore number, not "abc"'],
    [['integrity', 'restore'], '--file is required'],
    [['integrity', 'restore', '--fix', '1', '--file', 'f.jsonl'], 'give --fix or --file, not both'],
    [['integrity', '--no-wait', '--inline'], 'give --no-wait or --inline, not both'],
    [['explain', '--json'], '--sql is required (--sql TEXT)'],
    [['maintenance', 'vacuum'], '--table is required (--table TABLE)'],
    [['maintenance', 'reindex'], 'reindex takes either --table TABLE or --index INDEX'],
    [['user', 'add', '--email', 'ops@example.org'], '--role is required (--role admin|operator|viewer)'],
    [['user', 'add', '--email', 'nope', '--role', 'viewer'], '--email must be an e-mail address'],
    [['migrate', 'acknowledge'], '--name is required (--name NAME)'],
    [['migrate', 'baseline'], '--to is required (--to NAME)'],
    [['migrate', 'decide', '--as', 'maybe'], '--as must be one of ours, elsewhere, auto, not "maybe"'],
    [['backup', 'restore', '1'], '--into is required (--into NEWDB)'],
    [['backup', 'download', '1'], '--out is required (--out FILE)'],
    [['backup', 'schedule', 'set', 'full'], 'give --cron "MIN HOUR DOM MON DOW", or --off'],
    [['schema', 'diff'], '--from is required (--from ID|live)'],
    // Values are checked by the parser too, not after the state database is prepared.
    [['jobs', 'cancel', 'abc'], 'ID must be a job number, not "abc"'],
    [['jobs', 'list', '--limit', 'abc'], '--limit must be a number from 1 to 500, not "abc"'],
    [['jobs', 'list', '--limit', '501'], '--limit must be a number from 1 to 500, not "501"'],
    [['jobs', 'list', '--state', 'sleeping'], '--state must be one of queued, running, succeeded, failed, cancelled, interrupted'],
    [['jobs', 'list', '--kind', 'nap'], '--kind: there is no job kind "nap"'],
    [['audit', 'prune', '--days', 'abc'], '--days must be a whole number of days, 1 or more, not "abc"'],
    [['metrics', '--since', '2h'], '--since must be one of 1h|6h|24h|7d|30d|1y, not "2h"'],
    [['explain', '--sql', 'select 1', '--params', '{'], '--params must be a JSON array of strings (or null), e.g. --params \'["42", null]\''],
    [['backup', 'create', '--format', 'zip'], '--format must be custom, directory, plain, not "zip"'],
    [['backup', 'restore', '1', '--into', 'x', '--table', 'a.b.c'], '--table must be SCHEMA.TABLE or TABLE, a part with dots or quotes in double quotes ("my.schema"."Order; x"), not "a.b.c"'],
  ])('%j is refused with one line and exit 2, before any database is touched', async (argv, message) => {
    const r = await runDbadmin(argv, { DATABASE_URL: untouchedTarget.url, STATE_DATABASE_URL: untouchedState.url })
    expect(r.stderr).toBe(`dbadmin: ${message}\n`)
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    // Not even the state database was migrated, and no migration reached the target.
    expect(await tableCount(untouchedState.db)).toBe(0)
    expect(await tableCount(untouchedTarget.db)).toBe(0)
  })

  it('--help prints the subcommand usage and runs nothing', async () => {
    const r = await runDbadmin(['migrate', 'up', '--help'], { DATABASE_URL: untouchedTarget.url, STATE_DATABASE_URL: untouchedState.url })
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    expect(lines(r.stdout)).toEqual(['usage:', '  dbadmin migrate up [--to NAME] [--json]', '      apply every pending migration, or up to --to NAME'])
    expect(await tableCount(untouchedState.db)).toBe(0)
    expect(await tableCount(untouchedTarget.db)).toBe(0)
  })
})

describe('piped output', () => {
  it('a multi-megabyte --json arrives whole through a pipe', async () => {
    // 40 tables whose column default is a 100 kB literal: about 4 MB of schema JSON.
    await sql`do $$ begin
      for i in 1..40 loop
        execute format('create table %I (id int primary key, note text default %L)', 'wide_' || i, repeat('x', 100000));
      end loop;
    end $$`.execute(target.db)
    const r = await runDbadmin(['schema', '--json'], env())
    expect(r.code).toBe(0)
    expect(r.stdout.length).toBeGreaterThan(4_000_000)
    const schema = JSON.parse(r.stdout)
    const tables = schema.schemas.find((s: { name: string }) => s.name === 'public').tables
    expect(tables).toHaveLength(40)
    expect(tables.every((t: { columns: { default: string }[] }) => t.columns[1].default.length > 100_000)).toBe(true)
  })
})

/** The CLI piped into a reader that closes the pipe after its first chunk, as `| head -c 100` does. */
function runIntoClosingReader(args: string[], env: Record<string, string>): Promise<Run & { received: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/dbadmin.ts', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...env } as unknown as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let received = 0
    let stderr = ''
    child.stdout.once('data', (c: Buffer) => {
      received = c.length
      child.stdout.destroy()
    })
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout: '', stderr, received }))
  })
}

describe('a reader that stops early', () => {
  // Runs after 'piped output', whose wide tables make the schema a few megabytes.
  it.each([[['schema', '--json']], [['schema']]])('%j ends quietly with its own exit code, not EPIPE and a stack trace', async (args) => {
    const r = await runIntoClosingReader(args, env())
    expect(r.received).toBeGreaterThan(0)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
  })
})

describe('connection failures name the database', () => {
  const refused = 'postgres://dbadmin:sekret-pw-1@127.0.0.1:1/somewhere'

  it('says the target failed, with host, port and database but not the password', async () => {
    const r = await runDbadmin(['health', '--json'], { DATABASE_URL: refused, STATE_DATABASE_URL: state.url })
    expect(r.stderr).toBe('dbadmin: cannot connect to the target database (DATABASE_URL: 127.0.0.1:1, database somewhere): connection refused\n')
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
  })

  it('says the state database failed', async () => {
    const r = await runDbadmin(['health', '--json'], { DATABASE_URL: target.url, STATE_DATABASE_URL: refused })
    expect(r.stderr).toBe('dbadmin: cannot connect to the state database (STATE_DATABASE_URL: 127.0.0.1:1, database somewhere): connection refused\n')
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
  })

  it('names the variable of a capability login that fails, not only DATABASE_URL', async () => {
    const database = new URL(target.url).pathname.slice(1)
    const monitor = `postgres://monitor:sekret-pw-2@127.0.0.1:1/${database}`
    const r = await runDbadmin(['health', '--json'], { ...env(), MONITOR_DATABASE_URL: monitor })
    expect(r.stderr).toBe(`dbadmin: cannot connect to the target database (MONITOR_DATABASE_URL: 127.0.0.1:1, database ${database}): connection refused\n`)
    expect(r.code).toBe(2)
    expect(r.stderr).not.toContain('sekret-pw-2')
  })

  it('names a target database that does not exist on a server that answers', async () => {
    const missing = withDatabase(target.url, 'no_such_database')
    const { host, port } = describeUrl(missing)
    const r = await runDbadmin(['schema', '--json'], { DATABASE_URL: missing, STATE_DATABASE_URL: state.url })
    expect(r.stderr).toBe(`dbadmin: cannot connect to the target database (DATABASE_URL: ${host}:${port}, database no_such_database): database does not exist\n`)
    expect(r.code).toBe(2)
    expect(r.stderr).not.toContain(new URL(target.url).password)
  })
})
