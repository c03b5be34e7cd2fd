import path from 'node:path'
import { type Kysely, sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { STATE_MIGRATION_TABLE, stateMigrations } from '../db/migrations'
import { verifyPassword } from '../lib/auth/passwords'
import { type FreshDatabase, freshDatabase } from '../test/fresh-db'
import { lines, ROOT, type Run, run, runDbadmin } from '../test/run-command'
import { userObjects } from '../test/user-objects'

let target: FreshDatabase
let state: FreshDatabase

beforeAll(async () => {
  target = await freshDatabase('cli_target')
  state = await freshDatabase('cli_state')
})
afterAll(async () => {
  await target?.drop()
  await state?.drop()
})

/** The CLI against the fresh target and state databases. */
function dbadmin(args: string[], env?: Record<string, string>): Promise<Run> {
  return runDbadmin(args, env ?? { DATABASE_URL: target.url, STATE_DATABASE_URL: state.url })
}

async function userTables(db: Kysely<any>): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select schemaname || '.' || tablename as name from pg_tables
     where schemaname not in ('pg_catalog', 'information_schema') order by 1`.execute(db)
  return rows.map((r) => r.name)
}

async function counts() {
  const row = await state.db
    .selectNoFrom((eb) => [
      eb.selectFrom('app_user').select((e) => e.fn.countAll<number>().as('n')).as('users'),
      eb.selectFrom('audit_log').select((e) => e.fn.countAll<number>().as('n')).as('audits'),
    ])
    .executeTakeFirstOrThrow()
  return { users: Number(row.users), audits: Number(row.audits) }
}

function targetName(): string {
  return decodeURIComponent(new URL(target.url).pathname.slice(1))
}

describe('dbadmin health', () => {
  it('--json prints one JSON object about the target, migrates the state database and writes nothing to the target', async () => {
    expect(await userTables(target.db)).toEqual([])
    const before = await userObjects(target.db)
    expect(await userTables(state.db)).toEqual([])

    const r = await dbadmin(['health', '--json'])
    expect(r.code).toBe(0)
    expect(r.stdout.endsWith('\n')).toBe(true)
    expect(lines(r.stdout)).toHaveLength(1)
    const health = JSON.parse(r.stdout)
    expect(Object.keys(health).sort()).toEqual(['blocked', 'cacheHitRatio', 'connections', 'database', 'longRunning', 'serverVersion', 'sizeBytes'])
    expect(health.longRunning).toEqual([])
    expect(health.blocked).toEqual([])
    expect(health.cacheHitRatio).toBeGreaterThan(0)
    expect(health.serverVersion).toMatch(/^15\.\d+/)
    expect(health.database).toBe(targetName())
    expect(typeof health.sizeBytes).toBe('number')
    expect(health.sizeBytes).toBeGreaterThan(0)
    expect(Object.keys(health.connections).sort()).toEqual(['active', 'idleInTransaction', 'max', 'total'])
    for (const v of Object.values(health.connections)) expect(Number.isInteger(v)).toBe(true)
    expect(health.connections.total).toBeGreaterThanOrEqual(1)
    expect(health.connections.active).toBeGreaterThanOrEqual(1)
    expect(health.connections.idleInTransaction).toBeGreaterThanOrEqual(0)
    expect(health.connections.max).toBe(100)

    // Nothing written to the target; the state database was migrated. The CLI creates no first
    // admin: a generated password on its stderr would end up in an unattended job's log.
    expect(await userTables(target.db)).toEqual([])
    expect(await userObjects(target.db)).toEqual(before)
    // Other state migrations may add tables; these must be there and every migration applied.
    expect(await userTables(state.db)).toEqual(
      expect.arrayContaining(['public.app_user', 'public.audit_log', 'public.dbadmin_migration', 'public.dbadmin_migration_lock']),
    )
    const applied = await state.db.selectFrom(STATE_MIGRATION_TABLE).select('name').orderBy('name').execute()
    expect(applied.map((m) => m.name)).toEqual(Object.keys(stateMigrations).sort())
    const admins = await state.db.selectFrom('app_user').select(['email', 'role']).execute()
    expect(admins).toEqual([])
    expect(lines(r.stderr)).toEqual([`State database migrated: ${Object.keys(stateMigrations).sort().join(', ')}`])
  })

  it('without --json prints human lines, and nothing on stderr once the state database is ready', async () => {
    const r = await dbadmin(['health'])
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    const out = lines(r.stdout)
    expect(out).toHaveLength(7)
    expect(out[0]).toBe(`database     ${targetName()}`)
    expect(out[1]).toMatch(/^server {7}PostgreSQL 15\.\d+/)
    expect(out[2]).toMatch(/^size {9}[1-9]\d* bytes$/)
    expect(out[3]).toMatch(/^connections {2}[1-9]\d* of 100 \(\d+ active, \d+ idle in transaction\)$/)
    expect(out[4]).toMatch(/^cache hits {3}\d+\.\d\d % \(threshold 99 %\)$/)
    expect(out.slice(5)).toEqual(['long running 0', 'blocked      0'])
    expect(await userTables(target.db)).toEqual([])
  })

  it("lists only this database's long-running and blocked sessions, not the cluster's other databases'", async () => {
    const other = await freshDatabase('cli_health_other')
    const holder = new pg.Client({ connectionString: other.url })
    const waiter = new pg.Client({ connectionString: other.url })
    await Promise.all([holder.connect(), waiter.connect()])
    try {
      await holder.query('create table held (id int)')
      await holder.query('begin')
      await holder.query('lock table held in access exclusive mode')
      const waiting = waiter.query('select count(*) from held').catch(() => null)
      for (let i = 0; i < 100; i++) {
        const { rows } = await holder.query("select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()")
        if (rows[0].n > 0) break
        await new Promise((r) => setTimeout(r, 50))
      }
      const r = await dbadmin(['health', '--json'])
      expect(r.code, r.stderr).toBe(0)
      const health = JSON.parse(r.stdout)
      expect(health.blocked).toEqual([])
      await holder.query('rollback')
      await waiting
    } finally {
      await Promise.all([holder.end(), waiter.end()])
      await other.drop()
    }
  })

  it('works the same through the package bin, bin/dbadmin.cjs', async () => {
    const r = await run(path.join(ROOT, 'bin/dbadmin.cjs'), ['health', '--json'], {
      DATABASE_URL: target.url,
      STATE_DATABASE_URL: state.url,
    })
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    expect(lines(r.stdout)).toHaveLength(1)
    const health = JSON.parse(r.stdout)
    expect(health).toEqual({
      serverVersion: expect.stringMatching(/^15\.\d+/),
      database: targetName(),
      sizeBytes: expect.any(Number),
      connections: { total: expect.any(Number), max: 100, active: expect.any(Number), idleInTransaction: expect.any(Number) },
      cacheHitRatio: expect.any(Number),
      longRunning: [],
      blocked: [],
    })
    expect(health.sizeBytes).toBeGreaterThan(0)
    expect(health.connections.total).toBeGreaterThanOrEqual(1)
    expect(await userTables(target.db)).toEqual([])
  })
})

describe('dbadmin user add', () => {
  it('creates the user with an argon2id hash and records it in the audit log', async () => {
    const before = await counts()
    const r = await dbadmin(['user', 'add', '--email', 'a@b.co', '--role', 'operator', '--password', 'longenough-123', '--json'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(lines(r.stdout)).toHaveLength(1)
    const printed = JSON.parse(r.stdout)
    expect(Object.keys(printed)).toEqual(['user'])
    expect(printed.user).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      email: 'a@b.co',
      name: '',
      role: 'operator',
      disabled: false,
      sessionVersion: 1,
      lastLoginAt: null,
      createdAt: expect.any(String),
    })
    expect(r.stdout).not.toContain('longenough-123')

    const row = await state.db
      .selectFrom('app_user')
      .select(['id', 'email', 'role', 'password_hash', 'disabled_at'])
      .where('email', '=', 'a@b.co')
      .executeTakeFirstOrThrow()
    expect(row).toMatchObject({ id: printed.user.id, email: 'a@b.co', role: 'operator', disabled_at: null })
    expect(row.password_hash).toMatch(/^\$argon2id\$/)
    expect(await verifyPassword(row.password_hash, 'longenough-123')).toBe(true)

    const audit = await state.db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').executeTakeFirstOrThrow()
    expect(audit).toMatchObject({
      actor_id: null,
      actor_email: 'cli',
      action: 'users.create',
      target: 'a@b.co',
      input: { email: 'a@b.co', role: 'operator' },
      result: 'ok',
      code: 'ok',
      message: 'created from the command line',
    })
    expect(await counts()).toEqual({ users: before.users + 1, audits: before.audits + 1 })
  })

  it.each([
    ['a bad role', ['--email', 'x@example.org', '--role', 'superuser', '--password', 'longenough-123'], 'dbadmin: --role must be one of admin, operator, viewer'],
    ['a bad e-mail', ['--email', 'not-an-email', '--role', 'viewer', '--password', 'longenough-123'], 'dbadmin: --email must be an e-mail address'],
    ['a short password', ['--email', 'x@example.org', '--role', 'viewer', '--password', 'short'], 'dbadmin: --password must be at least 12 characters'],
    ['no e-mail', ['--role', 'viewer', '--password', 'longenough-123'], 'dbadmin: --email is required (--email E)'],
  ])('refuses %s with one line naming the flag and creates nothing', async (_case, flags, message) => {
    const before = await counts()
    const r = await dbadmin(['user', 'add', ...flags])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe(message + '\n')
    expect(await counts()).toEqual(before)
    expect(await state.db.selectFrom('app_user').select('id').where('email', '=', 'x@example.org').execute()).toEqual([])
  })
})

describe('dbadmin usage and configuration errors', () => {
  it('an unknown command exits 2 with the usage on stderr', async () => {
    const r = await dbadmin(['frobnicate'])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    const err = lines(r.stderr)
    expect(err[0]).toBe('dbadmin: unknown command "frobnicate"')
    expect(err[1]).toBe('usage: dbadmin <command> [options]')
    expect(err.some((l) => l.trim().startsWith('health [--json]'))).toBe(true)
    expect(err.some((l) => l.trim().startsWith('user add|list [--json]'))).toBe(true)
  })

  it('a DATABASE_URL that is not PostgreSQL exits 2 (could not run) with one line naming DATABASE_URL', async () => {
    const r = await dbadmin(['health', '--json'], { DATABASE_URL: 'mysql://x', STATE_DATABASE_URL: state.url })
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe('dbadmin: Configuration error: DATABASE_URL must be a postgres:// or postgresql:// URL\n')
  })

  it('no command prints the usage', async () => {
    const r = await dbadmin([])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe('')
    const out = lines(r.stdout)
    expect(out[0]).toBe('usage: dbadmin <command> [options]')
    // One indented line per command (others are added over time), then where the databases come from.
    const commands = out.slice(1, -2)
    expect(commands.every((l) => /^ {2}\S/.test(l))).toBe(true)
    expect(commands.map((l) => l.trim().split(/\s{2,}/)[0])).toEqual(
      expect.arrayContaining(['health [--json]', 'user add|list [--json]']),
    )
    expect(out.slice(-2)).toEqual([
      'Reads DATABASE_URL and STATE_DATABASE_URL; with neither set it uses the embedded demo cluster,',
      'starting it when it is not running.',
    ])
  })
})
