import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import { CompiledQuery, type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { createDb } from '../db/connect'
import { pgToolEnv } from '../db/pg-tool-env'
import pg from 'pg'
import { CAPABILITIES, type Capability, type LeastPrivilegeScript, applyLeastPrivilege, capabilityUrl, leastPrivilegeScript } from './least-privilege'

const sfx = randomBytes(3).toString('hex')
const APP = `lp app ü ${sfx}`
const ODD = 'Order; DROP TABLE x;--'
// What the custom-rules reader refuses its session user to be a member of (restricted-reader.ts on the rules branch).
const FORBIDDEN = ['pg_read_server_files', 'pg_write_server_files', 'pg_execute_server_program', 'pg_signal_backend']
const qi = (s: string) => `"${s.replace(/"/g, '""')}"`

async function run(db: Kysely<any>, text: string) {
  await db.executeQuery(CompiledQuery.raw(text))
}

/** The SQLSTATE a statement fails with, or 'ok'. */
async function outcome(db: Kysely<any>, text: string): Promise<string> {
  try {
    await run(db, text)
    return 'ok'
  } catch (e) {
    return (e as { code?: string }).code ?? String(e)
  }
}

async function seed(db: Kysely<any>) {
  await run(db, `create role ${qi(APP)} login password 'app-password-1'`)
  await run(db, `create schema ${qi(ODD)}`)
  await run(db, `create type ${qi(ODD)}.mood as enum ('ok', 'sad')`)
  await run(db, `create domain ${qi(ODD)}."Positive" as integer check (value > 0)`)
  await run(db, `create table ${qi(ODD)}."Items" (id serial primary key, n ${qi(ODD)}."Positive", m ${qi(ODD)}.mood)`)
  await run(db, `insert into ${qi(ODD)}."Items" (n, m) values (1, 'ok'), (2, 'sad')`)
  await run(db, `create view ${qi(ODD)}.items_view as select id, n from ${qi(ODD)}."Items"`)
  await run(db, `create function ${qi(ODD)}.twice(x integer) returns integer language sql as 'select x * 2'`)
  await run(db, `create sequence ${qi(ODD)}.free_seq`)
  await run(db, `create table public.meeting (id integer generated always as identity primary key, title text)`)
  await run(db, `insert into public.meeting (title) values ('kick-off')`)
  // An application's own table: its owner must keep reading and writing it after the move.
  await run(db, `create table public.app_owned (id integer primary key)`)
  await run(db, `alter table public.app_owned owner to ${qi(APP)}`)
}

async function dropRoles(script: LeastPrivilegeScript | undefined, extra: string[] = []) {
  const admin = createDb(inject('pgAdminUrl'), { max: 1 })
  try {
    const names = [...(script?.capabilities.flatMap((c) => [c.login, c.role]) ?? []), ...extra]
    for (const r of names) await run(admin, `drop role if exists ${qi(r)}`)
  } finally {
    await admin.destroy()
  }
}

const PASSWORDS: Record<Capability, string> = {
  monitoring: 'monitor-pass-1',
  rule_reading: 'reader-pass-1',
  migration: 'migrator-pass-1',
  backup: 'backup-pass-1',
  maintenance: 'maintainer-pass-1',
  signalling: 'signaller-pass-1',
}

describe('least-privilege roles applied to a database', () => {
  let fresh: FreshDatabase
  let script: LeastPrivilegeScript
  const logins = {} as Record<Capability, Kysely<any>>

  beforeAll(async () => {
    fresh = await freshDatabase('leastpriv')
    await seed(fresh.db)
    script = await applyLeastPrivilege(fresh.db, { prefix: `lp${sfx}`, passwords: PASSWORDS })
    for (const c of script.capabilities) logins[c.capability] = createDb(capabilityUrl(fresh.url, c), { max: 1 })
  })

  afterAll(async () => {
    await Promise.all(Object.values(logins).map((db) => db.destroy()))
    await fresh.drop()
    await dropRoles(script, [APP])
  })

  it('names each capability role and its login, the rule reader as the dashboard names its reader', () => {
    expect(script.capabilities.map((c) => [c.capability, c.role, c.login])).toEqual([
      ['monitoring', `lp${sfx}_monitoring`, `lp${sfx}_monitor`],
      ['rule_reading', `lp${sfx}_rule_reading`, `lp${sfx}_rule_reader`],
      ['migration', `lp${sfx}_migration`, `lp${sfx}_migrator`],
      ['backup', `lp${sfx}_backup`, `lp${sfx}_backup_runner`],
      ['maintenance', `lp${sfx}_maintenance`, `lp${sfx}_maintainer`],
      ['signalling', `lp${sfx}_signalling`, `lp${sfx}_signaller`],
    ])
    expect(script.text).toMatch(/^-- Least-privilege roles/)
    expect(script.text).toContain('BEGIN;\n')
    expect(script.text).toContain(`ALTER TABLE "Order; DROP TABLE x;--"."Items" OWNER TO "lp${sfx}_migration";`)
    expect(script.text).toContain(`ALTER ROUTINE "Order; DROP TABLE x;--"."twice"("pg_catalog"."int4") OWNER TO "lp${sfx}_migration";`)
    expect(script.text).toContain(`GRANT pg_read_all_data TO "lp${sfx}_rule_reading";`)
    // Passwords travel only as SCRAM verifiers.
    for (const p of Object.values(PASSWORDS)) expect(script.text).not.toContain(p)
    expect(script.text).toMatch(new RegExp(`CREATE ROLE "lp${sfx}_monitor" WITH NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT LOGIN CONNECTION LIMIT 15 PASSWORD 'SCRAM-SHA-256\\$4096:`))
    expect(script.notes.some((n) => n.includes('has no pg_maintain'))).toBe(true)
  })

  it('makes logins that hold none of the rights a restricted reader must not have, but the signaller pg_signal_backend', async () => {
    for (const c of script.capabilities) {
      const { rows } = await sql<{ who: string; bad: string[] }>`
        select session_user::text as who, array(select r.rolname::text from pg_roles r
          where pg_has_role(session_user, r.oid, 'MEMBER')
            and (r.rolsuper or r.rolcreaterole or r.rolcreatedb or r.rolreplication or r.rolname = any(${FORBIDDEN}::text[]))) as bad
      `.execute(logins[c.capability])
      // Signalling other sessions is the signaller's one right, and no other login's.
      expect(rows[0]).toEqual({ who: c.login, bad: c.capability === 'signalling' ? ['pg_signal_backend'] : [] })
    }
  })

  it('monitoring reads statistics but no table data and no server files', async () => {
    const m = logins.monitoring
    expect(await outcome(m, `select * from public.meeting`)).toBe('42501')
    expect(await outcome(m, `select * from ${qi(ODD)}."Items"`)).toBe('42501')
    expect(await outcome(m, `select pg_read_file('PG_VERSION')`)).toBe('42501')
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from pg_stat_activity where usename <> current_user and query <> '<insufficient privilege>' and backend_type = 'client backend'
    `.execute(m)
    expect(rows[0].n).toBeGreaterThan(0)
    expect(await outcome(m, `select relname, n_live_tup from pg_stat_user_tables`)).toBe('ok')
  })

  it('the rule reader reads every table and can write nothing, nor reach server files', async () => {
    const r = logins.rule_reading
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.id(ODD, 'Items')}`.execute(r)
    expect(rows[0].n).toBe(2)
    expect(await outcome(r, `select title from public.meeting`)).toBe('ok')
    expect(await outcome(r, `insert into public.meeting (title) values ('x')`)).toBe('42501')
    expect(await outcome(r, `update ${qi(ODD)}."Items" set n = 5`)).toBe('42501')
    expect(await outcome(r, `delete from public.app_owned`)).toBe('42501')
    expect(await outcome(r, `create table public.sneaky (id integer)`)).toBe('42501')
    expect(await outcome(r, `select pg_read_file('PG_VERSION')`)).toBe('42501')
    expect(await outcome(r, `select pg_ls_dir('.')`)).toBe('42501')
    expect(await outcome(r, `select lo_import('/etc/hostname')`)).toBe('42501')
    expect(await outcome(r, `copy public.meeting to '/tmp/lp-${sfx}.csv'`)).toBe('42501')
    expect(await outcome(r, `copy (select 1) to program 'true'`)).toBe('42501')
  })

  it('the backup login dumps the whole database with pg_dump and can write nothing', async () => {
    const b = logins.backup
    for (const text of [
      `insert into public.meeting (title) values ('x')`,
      `update public.meeting set title = 'y'`,
      `delete from ${qi(ODD)}."Items"`,
      `truncate public.app_owned`,
      `create table public.sneaky (id integer)`,
      `select nextval('${qi(ODD).replace(/'/g, "''")}.free_seq'::regclass)`,
    ]) {
      expect(await outcome(b, text), text).toBe('42501')
    }
    const backup = script.capabilities.find((c) => c.capability === 'backup')!
    const { stdout } = await promisify(execFile)('/usr/lib/postgresql/15/bin/pg_dump', ['--data-only', '--no-owner'], {
      env: pgToolEnv(capabilityUrl(fresh.url, backup)),
      maxBuffer: 16 * 1024 * 1024,
    })
    expect(stdout).toContain('kick-off')
    expect(stdout).toContain('"Order; DROP TABLE x;--"."Items"')
  })

  it('the migrator owns the schemas and their objects and can change them, without superuser powers', async () => {
    const g = logins.migration
    expect(await outcome(g, `alter table ${qi(ODD)}."Items" add column note text`)).toBe('ok')
    expect(await outcome(g, `create table public.added_later (id integer)`)).toBe('ok')
    expect(await outcome(g, `alter type ${qi(ODD)}.mood add value 'glad'`)).toBe('ok')
    expect(await outcome(g, `select pg_read_file('PG_VERSION')`)).toBe('42501')
    expect(await outcome(g, `create role sneaky_${sfx}`)).toBe('42501')
    const { rows } = await sql<{ owner: string }>`
      select distinct pg_get_userbyid(c.relowner)::text as owner from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname in ('public', ${ODD}) and c.relkind in ('r', 'v', 'S')
    `.execute(g)
    expect(rows.map((r) => r.owner)).toEqual([`lp${sfx}_migration`])
  })

  it('the maintainer can VACUUM, ANALYZE and REINDEX but not read server files', async () => {
    const mt = logins.maintenance
    expect(await outcome(mt, `reindex table public.meeting`)).toBe('ok')
    expect(await outcome(mt, `vacuum (analyze) ${qi(ODD)}."Items"`)).toBe('ok')
    expect(await outcome(mt, `select pg_read_file('PG_VERSION')`)).toBe('42501')
  })

  it('the signaller cancels an application session’s statement; no other login may, and it reads no data', async () => {
    const app = new pg.Client({ connectionString: capabilityUrl(fresh.url, { login: APP, password: 'app-password-1' }), application_name: 'dor-app' })
    app.on('error', () => {})
    await app.connect()
    try {
      const pid = (await app.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0].pid
      const sleeping = app.query('select pg_sleep(30)').then(() => 'ok', (e: { code?: string }) => e.code)
      for (const c of CAPABILITIES.filter((x) => x !== 'signalling')) {
        expect(await outcome(logins[c], `select pg_cancel_backend(${pid})`), c).toBe('42501')
        expect(await outcome(logins[c], `select pg_terminate_backend(${pid})`), c).toBe('42501')
      }
      const s = logins.signalling
      expect(await outcome(s, `select * from public.meeting`)).toBe('42501')
      expect(await outcome(s, `select pg_read_file('PG_VERSION')`)).toBe('42501')
      // A superuser's session stays out of its reach.
      const { rows } = await sql<{ pid: number }>`select pid from pg_stat_activity where usename = (select rolname from pg_roles where rolsuper limit 1) limit 1`.execute(s)
      if (rows[0]) expect(await outcome(s, `select pg_cancel_backend(${rows[0].pid})`)).toBe('42501')
      for (let i = 0; i < 100; i++) {
        const { rows: a } = await sql<{ state: string }>`select state from pg_stat_activity where pid = ${pid}::int`.execute(fresh.db)
        if (a[0]?.state === 'active') break
        await new Promise((r) => setTimeout(r, 50))
      }
      expect(await outcome(s, `select pg_cancel_backend(${pid})`)).toBe('ok')
      expect(await sleeping).toBe('57014')
    } finally {
      await app.end().catch(() => {})
    }
  })

  it("keeps a former owner's access to its data, without DDL, also on tables migrations add later", async () => {
    const app = createDb(capabilityUrl(fresh.url, { login: APP, password: 'app-password-1' }), { max: 1 })
    try {
      expect(await outcome(app, `insert into public.app_owned values (1)`)).toBe('ok')
      expect(await outcome(app, `insert into public.meeting (title) values ('by app')`)).toBe('ok')
      expect(await outcome(app, `insert into public.added_later values (1)`)).toBe('ok')
      expect(await outcome(app, `drop table public.app_owned`)).toBe('42501')
    } finally {
      await app.destroy()
    }
  })

  it('can be run again: the roles exist, the script alters them and grants again', async () => {
    const again = await leastPrivilegeScript(fresh.db, { prefix: `lp${sfx}` })
    expect(again.text).toContain(`ALTER ROLE "lp${sfx}_monitoring" WITH NOSUPERUSER`)
    expect(again.text).not.toContain('CREATE ROLE')
    // Everything is owned already: no ownership statements are left to run.
    expect(again.text).not.toMatch(/OWNER TO/)
  })
})

describe('least-privilege roles with explicit grants instead of pg_read_all_data', () => {
  let fresh: FreshDatabase
  let script: LeastPrivilegeScript | undefined

  afterAll(async () => {
    await fresh?.drop()
    await dropRoles(script, [APP + ' 2'])
  })

  it('readers read the managed schemas, also tables created later by the migrator, and write nothing', async () => {
    fresh = await freshDatabase('leastpriv2')
    await run(fresh.db, `create role ${qi(APP + ' 2')} login`)
    await run(fresh.db, `create table public.meeting (id integer primary key)`)
    await run(fresh.db, `insert into public.meeting values (1)`)
    script = await applyLeastPrivilege(fresh.db, { prefix: `lq${sfx}`, passwords: PASSWORDS, readAccess: 'explicit', schemas: ['public'] })
    expect(script.text).not.toContain('pg_read_all_data')
    const url = (c: Capability) => capabilityUrl(fresh.url, script!.capabilities.find((x) => x.capability === c)!)
    const migrator = createDb(url('migration'), { max: 1 })
    const reader = createDb(url('rule_reading'), { max: 1 })
    try {
      await run(migrator, `create table public.later (id integer)`)
      expect(await outcome(reader, `select * from public.meeting`)).toBe('ok')
      expect(await outcome(reader, `select * from public.later`)).toBe('ok')
      expect(await outcome(reader, `insert into public.meeting values (2)`)).toBe('42501')
    } finally {
      await migrator.destroy()
      await reader.destroy()
    }
  })

  it('refuses a prefix that is not a plain lower-case name, and a schema that does not exist', async () => {
    await expect(leastPrivilegeScript(fresh.db, { prefix: 'Bad"Prefix' })).rejects.toThrow(/prefix/)
    await expect(leastPrivilegeScript(fresh.db, { schemas: ['nope'] })).rejects.toThrow('No such schema: nope')
  })
})
