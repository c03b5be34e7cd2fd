import { randomBytes } from 'node:crypto'
import { type Kysely, type RawBuilder, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { freshStateDb } from '../../test/state-db'
import { createDb } from './connect'
import { restrictedReader } from './reader-login'
import { ReaderError, ReaderQueryError } from './restricted-reader'

/**
 * The restricted reader on a target reached as a superuser: the role it creates, the roles it
 * refuses, the one message when it cannot have one, and what is left after a session (nothing).
 */

const suffix = randomBytes(4).toString('hex')
const MANAGED = `reader_${suffix}`
const PASSWORD = randomBytes(12).toString('hex')
const roles: string[] = []
let target: FreshDatabase
let state: Awaited<ReturnType<typeof freshStateDb>>
let cluster: Kysely<any>

/** A login role on the cluster, dropped after the file. */
async function role(name: string, options: RawBuilder<unknown> = sql``) {
  roles.push(name)
  await sql`create role ${sql.id(name)} login password ${sql.lit(PASSWORD)} ${options}`.execute(cluster)
  return urlAs(name, PASSWORD)
}

function urlAs(user: string, password: string, params: Record<string, string> = {}) {
  const u = new URL(target.url)
  u.username = user
  u.password = password
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v)
  return u.toString()
}

beforeAll(async () => {
  target = await freshDatabase('reader')
  state = await freshStateDb()
  cluster = createDb(inject('pgAdminUrl'), { max: 1 })
  await sql`create table meeting (id int primary key, title text)`.execute(target.db)
  await sql`insert into meeting select g, 'm' || g from generate_series(1, 5) g`.execute(target.db)
  await sql`create extension if not exists pg_stat_statements`.execute(target.db)
})
afterAll(async () => {
  await target?.drop()
  await state?.drop()
  for (const name of [...roles, MANAGED].reverse()) await sql`drop role if exists ${sql.id(name)}`.execute(cluster)
  await cluster?.destroy()
})

const count = (s: { query<R>(t: string, p: readonly unknown[]): Promise<R[]> }) =>
  s.query<{ n: number }>('select count(*)::int as n from meeting where id > $1', [0]).then((r) => r[0].n)

describe('the role the dashboard creates', () => {
  it('is a login that reads everything and can do nothing else; its password is kept in the state database only', async () => {
    const reader = restrictedReader({ target: target.db, targetUrl: target.url, state: state.db, roleName: MANAGED })
    expect(await reader.session({ statementTimeoutMs: 5000 }, count)).toBe(5)
    const { rows } = await sql<Record<string, unknown>>`
      select rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, rolinherit, rolcanlogin, rolconnlimit,
        pg_has_role(rolname, 'pg_read_all_data', 'USAGE') as reads_all,
        left(rolpassword, 14) as verifier
      from pg_authid where rolname = ${MANAGED}`.execute(cluster)
    expect(rows).toEqual([
      {
        rolsuper: false,
        rolcreaterole: false,
        rolcreatedb: false,
        rolreplication: false,
        rolbypassrls: false,
        rolinherit: true,
        rolcanlogin: true,
        rolconnlimit: 10,
        reads_all: true,
        verifier: 'SCRAM-SHA-256$',
      },
    ])
    const stored = await state.db.selectFrom('reader_role').select('password').where('role_name', '=', MANAGED).executeTakeFirstOrThrow()
    expect(stored.password).toMatch(/^[\w-]{32}$/)
    // Only the SCRAM verifier went to the server: statement statistics (and logs) never saw the password.
    const seen = await sql<{ n: number }>`
      select count(*)::int as n from pg_stat_statements where strpos(query, ${stored.password}) > 0`.execute(target.db)
    expect(seen.rows).toEqual([{ n: 0 }])
  })

  it('gets a new password when the stored one stops working', async () => {
    await sql`alter role ${sql.id(MANAGED)} password 'changed-by-someone-else'`.execute(cluster)
    const reader = restrictedReader({ target: target.db, targetUrl: target.url, state: state.db, roleName: MANAGED })
    const before = await state.db.selectFrom('reader_role').select('password').where('role_name', '=', MANAGED).executeTakeFirstOrThrow()
    expect(await reader.session({ statementTimeoutMs: 5000 }, count)).toBe(5)
    const after = await state.db.selectFrom('reader_role').select('password').where('role_name', '=', MANAGED).executeTakeFirstOrThrow()
    expect(after.password).not.toBe(before.password)
  })

  it('is refused when someone gave it more than reading', async () => {
    await sql`grant pg_signal_backend to ${sql.id(MANAGED)}`.execute(cluster)
    const reader = restrictedReader({ target: target.db, targetUrl: target.url, state: state.db, roleName: MANAGED })
    const error = await reader.session({ statementTimeoutMs: 5000 }, count).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ReaderError)
    expect((error as ReaderError).message).toBe(
      `${MANAGED}, the role the dashboard created for custom rules, is a member of pg_signal_backend: user-written SQL does not run as a role that can do more than read. ` +
        'Take these rights away (or drop the role: the dashboard creates it anew), or set RULE_READER_DATABASE_URL.',
    )
    await sql`revoke pg_signal_backend from ${sql.id(MANAGED)}`.execute(cluster)
  })

  it('cannot be created by a target role without CREATEROLE: one message says what to configure, and nothing is made', async () => {
    const ownerUrl = await role(`owner_${suffix}`)
    const owner = createDb(ownerUrl, { max: 1 })
    const wanted = `never_${suffix}`
    try {
      const reader = restrictedReader({ target: owner, targetUrl: ownerUrl, state: state.db, roleName: wanted })
      const error = await reader.session({ statementTimeoutMs: 5000 }, count).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ReaderError)
      expect((error as ReaderError).kind).toBe('unavailable')
      expect((error as ReaderError).message).toBe(
        `Custom rules run as a separate read-only role, and owner_${suffix} cannot create one (permission denied to create role). ` +
          'Set RULE_READER_DATABASE_URL to this database as a role that is a member of pg_read_all_data (or has SELECT on the tables the rules read) ' +
          'and has no SUPERUSER, CREATEROLE, CREATEDB or REPLICATION and no pg_read_server_files, pg_write_server_files, pg_execute_server_program or pg_signal_backend; ' +
          `or give owner_${suffix} CREATEROLE (and, on PostgreSQL 16 or later, pg_read_all_data WITH ADMIN OPTION) so that the dashboard creates it.`,
      )
      const made = await sql<{ n: number }>`select count(*)::int as n from pg_roles where rolname = ${wanted}`.execute(cluster)
      expect(made.rows).toEqual([{ n: 0 }])
      expect(await state.db.selectFrom('reader_role').selectAll().where('role_name', '=', wanted).execute()).toEqual([])
    } finally {
      await owner.destroy()
    }
  })
})

describe('RULE_READER_DATABASE_URL', () => {
  const refusal = async (url: string) => {
    const reader = restrictedReader({ configuredUrl: url, target: target.db, targetUrl: target.url, state: state.db })
    const error = await reader.session({ statementTimeoutMs: 5000 }, count).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ReaderError)
    return (error as ReaderError).message
  }

  it('is refused at use time when its role can do more than read, directly or through another role', async () => {
    expect(await refusal(target.url)).toMatch(/^RULE_READER_DATABASE_URL logs in as postgres, which has SUPERUSER, CREATEROLE, CREATEDB, REPLICATION: /)
    expect(await refusal(await role(`signal_${suffix}`, sql`in role pg_signal_backend`))).toContain(`logs in as signal_${suffix}, which is a member of pg_signal_backend`)
    await sql`create role ${sql.id(`programs_${suffix}`)} nologin noinherit in role pg_execute_server_program`.execute(cluster)
    roles.push(`programs_${suffix}`)
    expect(await refusal(await role(`indirect_${suffix}`, sql`noinherit in role ${sql.id(`programs_${suffix}`)}`))).toContain(
      `logs in as indirect_${suffix}, which is a member of pg_execute_server_program:`,
    )
    await sql`create role ${sql.id(`super_${suffix}`)} nologin superuser`.execute(cluster)
    roles.push(`super_${suffix}`)
    expect(await refusal(await role(`setrole_${suffix}`, sql`noinherit in role ${sql.id(`super_${suffix}`)}`))).toContain(`is a member of super_${suffix} (SUPERUSER)`)
    expect(await refusal(await role(`creator_${suffix}`, sql`createrole`))).toContain(`logs in as creator_${suffix}, which has CREATEROLE`)
    for (const file of ['pg_read_server_files', 'pg_write_server_files']) {
      expect(await refusal(await role(`files_${file.slice(3, 7)}_${suffix}`, sql`in role ${sql.id(file)}`))).toContain(`is a member of ${file}`)
    }
  })

  it('says so when it does not log in', async () => {
    const url = await role(`wrongpw_${suffix}`)
    expect(await refusal(url.replace(PASSWORD, 'not-the-password'))).toBe(
      `RULE_READER_DATABASE_URL does not log in: password authentication failed for user "wrongpw_${suffix}".`,
    )
  })

  it('runs as given with explicit grants, read only and under its timeout, whatever options the URL sets', async () => {
    const user = `granted_${suffix}`
    await role(user)
    await sql`grant select on meeting to ${sql.id(user)}`.execute(target.db)
    const url = urlAs(user, PASSWORD, { options: '-c default_transaction_read_only=off -c statement_timeout=0 -c row_security=on' })
    const reader = restrictedReader({ configuredUrl: url, target: target.db, targetUrl: target.url, state: state.db })
    expect(await reader.session({ statementTimeoutMs: 300 }, count)).toBe(5)
    const settings = await reader.session({ statementTimeoutMs: 300 }, (s) =>
      s.query("select current_setting('transaction_read_only') as ro, current_setting('statement_timeout') as timeout, current_setting('row_security') as rls", []),
    )
    expect(settings).toEqual([{ ro: 'on', timeout: '300ms', rls: 'off' }])
    await expect(reader.session({ statementTimeoutMs: 300 }, (s) => s.query('select pg_sleep(2)', []))).rejects.toThrow('canceling statement due to statement timeout')
  })
})

describe('a reader session', () => {
  const managed = () => restrictedReader({ target: target.db, targetUrl: target.url, state: state.db, roleName: MANAGED })
  const sessions = async () =>
    (await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where usename = ${MANAGED}`.execute(cluster)).rows[0].n

  it('takes one statement per query, even without parameters', async () => {
    const error = await managed()
      .session({ statementTimeoutMs: 5000 }, (s) => s.query('select 1; select 2', []))
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ReaderQueryError)
    expect((error as ReaderQueryError).message).toBe('cannot insert multiple commands into a prepared statement')
    expect((error as ReaderQueryError).sqlState).toBe('42601')
  })

  it('is ended from this side when the server does not answer in time', async () => {
    const started = Date.now()
    const error = await managed()
      .session({ statementTimeoutMs: 60_000, clientTimeoutMs: 400 }, (s) => s.query('select pg_sleep(30)', []))
      .catch((e: unknown) => e)
    expect(Date.now() - started).toBeLessThan(5000)
    expect(error).toBeInstanceOf(ReaderError)
    expect((error as ReaderError).message).toBe('The server did not answer within 0.4 s; the session was ended.')
    for (let i = 0; i < 50 && (await sessions()) > 0; i++) await new Promise((r) => setTimeout(r, 100))
    expect(await sessions()).toBe(0)
  })

  it('is closed however it ends, even when the text ends its own backend', async () => {
    await expect(managed().session({ statementTimeoutMs: 5000 }, (s) => s.query('select pg_terminate_backend(pg_backend_pid())', []))).rejects.toThrow()
    await managed().session({ statementTimeoutMs: 5000 }, (s) => s.query('select pg_advisory_lock(7)', []))
    for (let i = 0; i < 50 && (await sessions()) > 0; i++) await new Promise((r) => setTimeout(r, 100))
    expect(await sessions()).toBe(0)
    const locks = await sql<{ n: number }>`select count(*)::int as n from pg_locks where locktype = 'advisory' and objid = 7`.execute(cluster)
    expect(locks.rows).toEqual([{ n: 0 }])
  })

  it('unlinks large objects that a second connection made for it (dblink with a known password)', async (ctx) => {
    const available = (await sql<{ n: number }>`select count(*)::int as n from pg_available_extensions where name = 'dblink'`.execute(target.db)).rows[0].n
    if (!available) ctx.skip('dblink is not installed on this server')
    const user = `known_${suffix}`
    const url = await role(user, sql`in role pg_read_all_data`)
    await sql`create extension if not exists dblink`.execute(target.db)
    try {
      const u = new URL(target.url)
      const conn = `host=${u.hostname} port=${u.port} dbname=${decodeURIComponent(u.pathname.slice(1))} user=${user} password=${PASSWORD}`
      const reader = restrictedReader({ configuredUrl: url, target: target.db, targetUrl: target.url, state: state.db })
      const made = await reader.session({ statementTimeoutMs: 5000 }, (s) =>
        s.query<{ o: string }>(`select o::text from dblink($1, 'select lo_from_bytea(0, ''x'')') as t(o oid)`, [conn]),
      )
      expect(made).toHaveLength(1)
      const left = await sql<{ n: number }>`select count(*)::int as n from pg_largeobject_metadata where oid = ${Number(made[0].o)}`.execute(target.db)
      expect(left.rows).toEqual([{ n: 0 }])
    } finally {
      await sql`drop extension if exists dblink`.execute(target.db)
    }
  })

  it('is its own: sessions opened one after another share nothing', async () => {
    await managed().session({ statementTimeoutMs: 5000 }, (s) => s.query("select set_config('dbadmin.left_behind', 'yes', false)", []))
    const seen = await managed().session({ statementTimeoutMs: 5000 }, (s) => s.query<{ v: string | null }>("select current_setting('dbadmin.left_behind', true) as v", []))
    expect(seen).toEqual([{ v: null }])
  })
})
