import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readAlembicVersion } from '../lib/alembic/version-table'
import { dorMigrations } from '../migrations/index'
import { alembicTo, FIXTURE_DIR, fixtureSettings, PYTHON_ALEMBIC, REV } from '../test/alembic-fixture'
import { type FreshDatabase, freshDatabase } from '../test/fresh-db'
import { runDbadmin } from '../test/run-command'
import { alembicCommand } from './commands/alembic'
import { resolveCommandLine } from './command-line'
import { CliError } from './args'

let target: FreshDatabase
let state: FreshDatabase
const first = Object.keys(dorMigrations).sort()[0]
const SLOW = { timeout: 300_000 }

beforeAll(async () => {
  ;[target, state] = await Promise.all([freshDatabase('cli_alembic_target'), freshDatabase('cli_alembic_state')])
  await alembicTo(fixtureSettings(), target.url, REV.merge)
})
afterAll(async () => {
  await Promise.all([target?.drop(), state?.drop()])
})

const env = (extra: Record<string, string> = {}) => ({
  DATABASE_URL: target.url,
  STATE_DATABASE_URL: state.url,
  ALEMBIC_DIR: FIXTURE_DIR,
  ALEMBIC_COMMAND: JSON.stringify(PYTHON_ALEMBIC),
  ...extra,
})
const dbadmin = (args: string[], extra?: Record<string, string>) => runDbadmin(args, env(extra))

async function kyselyTables(): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_class where relname in ('kysely_migration', 'kysely_migration_lock')`.execute(target.db)
  return rows[0].n
}

describe('alembic subcommands take a revision word', () => {
  const resolve = (argv: string[]) => resolveCommandLine(argv, { alembic: alembicCommand })
  const refusal = (argv: string[]) => {
    try {
      resolve(argv)
    } catch (e) {
      expect(e).toBeInstanceOf(CliError)
      return (e as CliError).message
    }
    throw new Error('expected a refusal')
  }

  it('optional or required, -1 as a word, nothing more', () => {
    expect(resolve(['alembic', 'upgrade'])).toMatchObject({ kind: 'run', args: { positional: ['alembic', 'upgrade'] } })
    expect(resolve(['alembic', 'upgrade', 'head', '--json'])).toMatchObject({ args: { positional: ['alembic', 'upgrade', 'head'], flags: { json: true } } })
    expect(resolve(['alembic', 'downgrade', '-1'])).toMatchObject({ args: { positional: ['alembic', 'downgrade', '-1'] } })
    expect(resolve(['alembic', 'sql', 'head', '--downgrade', '--from=abc'])).toMatchObject({ args: { flags: { downgrade: true, from: 'abc' } } })
    expect(refusal(['alembic', 'downgrade'])).toBe('"dbadmin alembic downgrade" needs REV (dbadmin alembic downgrade --help)')
    expect(refusal(['alembic', 'downgrade', '--json'])).toBe('"dbadmin alembic downgrade" needs REV (dbadmin alembic downgrade --help)')
    expect(refusal(['alembic', 'upgrade', 'head', 'base'])).toBe('unexpected argument "base" for "dbadmin alembic upgrade"; it takes [--json]')
    expect(refusal(['alembic', 'upgrade', '--sql'])).toBe('unknown option --sql for "dbadmin alembic upgrade"; it takes [--json]')
    const help = resolve(['alembic', 'downgrade', '--help'])
    expect(help).toMatchObject({ kind: 'help', exitCode: 0 })
    expect((help as { text: string }).text).toContain('dbadmin alembic downgrade REV [--json]')
  })
})

describe('dbadmin on a database managed by Alembic', () => {
  it('migrate status says so first and lists nothing as pending; migrate up, dry-run and drift refuse without creating kysely_migration', SLOW, async () => {
    const status = await dbadmin(['migrate', 'status'])
    expect(status.code).toBe(0)
    expect(status.stdout.split('\n')[0]).toBe(
      `Managed by Alembic (public.alembic_version): at ${REV.merge}, one head. The DoR chain is not adopted here (dbadmin migrate baseline --to NAME adopts it).`,
    )
    expect(status.stdout).not.toMatch(/^pending/m)
    expect(status.stdout).toMatch(new RegExp(`^not adopted +${first}$`, 'm'))
    const json = JSON.parse((await dbadmin(['migrate', 'status', '--json'])).stdout)
    expect(json.management).toMatchObject({ mode: 'other_tool', chainAdopted: false, tools: [{ tool: 'alembic', current: [REV.merge] }] })

    for (const argv of [['migrate', 'up'], ['migrate', 'dry-run'], ['migrate', 'drift']]) {
      const r = await dbadmin(argv)
      expect(r.code, argv.join(' ')).toBe(1)
      expect(r.stderr).toMatch(/^dbadmin: Managed by Alembic \(public\.alembic_version\): at 4d5e6f708192, one head\. The DoR migrations are not applied/)
    }
    expect(await kyselyTables()).toBe(0)
  })

  it('alembic status, sql, upgrade, downgrade and history', SLOW, async () => {
    const status = JSON.parse((await dbadmin(['alembic', 'status', '--json'])).stdout)
    expect(status).toMatchObject({ current: [REV.merge], heads: [REV.secretary], pending: [REV.secretary], configured: true })

    const offline = await dbadmin(['alembic', 'sql', 'head'])
    expect(offline.code).toBe(0)
    expect(offline.stdout).toContain("alter type userrole add value 'SECRETARY';")
    expect(offline.stderr).toContain(`Offline SQL of alembic upgrade ${REV.merge}:head: 2 statements; nothing was run.`)

    const up = await dbadmin(['alembic', 'upgrade', '--json'])
    expect(up.code).toBe(0)
    expect(JSON.parse(up.stdout)).toMatchObject({ ok: true, after: [REV.secretary], changes: [expect.stringMatching(/^added enum value public\.userrole/)] })
    expect(await readAlembicVersion(target.db)).toEqual([REV.secretary])
    // Run through the same job kind as the page's button: listed with the other jobs.
    const job = await state.db.selectFrom('job').select(['kind', 'state', 'started_by', 'trigger']).where('id', '=', JSON.parse(up.stdout).jobId).executeTakeFirst()
    expect(job).toEqual({ kind: 'alembic.upgrade', state: 'succeeded', started_by: 'cli', trigger: 'cli' })

    const down = await dbadmin(['alembic', 'downgrade', '-1'])
    expect(down.code).toBe(0)
    expect(down.stderr).toContain(`Running downgrade ${REV.secretary} -> ${REV.merge}`)
    expect(down.stdout).toContain(`The database is at ${REV.merge}`)

    const history = await dbadmin(['alembic', 'history'])
    expect(history.stdout.split('\n')[0]).toBe(`  ${REV.merge} -> ${REV.secretary} (head), add secretary role`)
    expect(history.stdout).toContain(`* ${REV.meetings}, ${REV.userName} -> ${REV.merge} (current, merge), merge heads`)

    const unconfigured = await runDbadmin(['alembic', 'upgrade'], { DATABASE_URL: target.url, STATE_DATABASE_URL: state.url })
    expect(unconfigured.code).toBe(2)
    expect(unconfigured.stderr).toMatch(/^dbadmin: Alembic is not configured: set ALEMBIC_DIR/)
  })

  it('migrate baseline refuses different schemas with the differences, records with --accept-differences', SLOW, async () => {
    const refused = await dbadmin(['migrate', 'baseline', '--to', first])
    expect(refused.code).toBe(1)
    expect(refused.stdout).toMatch(new RegExp(`^Not recorded: the live schema differs from what the chain builds up to ${first} in \\d+ places?:`))
    expect(refused.stderr).toBe('dbadmin: baseline refused: the schemas differ (--accept-differences records it anyway)\n')
    expect(await kyselyTables()).toBe(0)

    const accepted = await dbadmin(['migrate', 'baseline', '--to', first, '--accept-differences'])
    expect(accepted.code).toBe(0)
    expect(accepted.stdout).toMatch(new RegExp(`^Baselined 1 migration up to ${first}, accepting`))
    const status = await dbadmin(['migrate', 'status'])
    expect(status.stdout).toMatch(new RegExp(`^applied +${first}  \\(cli, baseline\\)$`, 'm'))
  })
})
