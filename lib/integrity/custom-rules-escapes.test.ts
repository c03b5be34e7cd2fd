import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FreshDatabase } from '../../test/fresh-db'
import { type RuleReaderDbs, openRuleReaderDbs } from '../../test/rule-reader-dbs'
import { userObjects } from '../../test/user-objects'
import type { RestrictedReader } from '../db/reader-login'
import { targetIdentity } from '../db/target-identity'
import { RuleQueryError, runRuleQuery, saveCustomRule, listCustomRules } from './custom-rules'

/**
 * Every way out of "a rule reads table data" that an attack on the running dashboard found, on a
 * target reached as a superuser (as the test cluster and most small teams connect). Each is
 * refused and leaves the target as it was: objects, rows, sequences, large objects, files, locks,
 * other sessions.
 */

const ROLE = `rule_reader_${randomBytes(4).toString('hex')}`
let target: FreshDatabase
let state: RuleReaderDbs['state']
let reader: RestrictedReader
let dbs: RuleReaderDbs | undefined

beforeAll(async () => {
  dbs = await openRuleReaderDbs('escapes', ROLE)
  target = dbs.target
  state = dbs.state
  reader = dbs.reader
})
afterAll(() => dbs?.close())

/** What a rule must never change. */
async function fingerprint() {
  const { rows } = await sql<Record<string, string>>`
    select (select count(*) from meeting)::text as meetings,
      (select last_value from meeting_id_seq)::text as meeting_seq,
      (select count(*) from pg_largeobject_metadata)::text as large_objects,
      (select count(*) from pg_locks l join pg_database d on d.oid = l.database
        where l.locktype = 'advisory' and d.datname = current_database())::text as advisory_locks,
      (select count(*) from pg_stat_activity where usename = ${ROLE})::text as reader_sessions
  `.execute(target.db)
  return { ...rows[0], objects: await userObjects(target.db) }
}

async function refused(query: string, message: string | RegExp, timeoutMs = 5000) {
  const before = await fingerprint()
  const error = await runRuleQuery(reader, query, timeoutMs).then(
    () => null,
    (e: unknown) => e,
  )
  expect(error, query).toBeInstanceOf(RuleQueryError)
  expect((error as Error).message).toMatch(message)
  expect(await fingerprint()).toEqual(before)
  return error as RuleQueryError
}

/** What worked on the old runner, which wrapped the text in one subquery and sent it unbound. */
const breakOut = (statements: string) => `select 1) x; ${statements}; SELECT 1 FROM (select 1`
/** The same, balanced for the statement a rule runs in now: only the extended protocol stops it. */
const breakOutNow = (statements: string) => `select 1) a) b; ${statements}; SELECT 1 FROM (select 1 from (select 1`
const notOneStatement = /cannot insert multiple commands into a prepared statement|syntax error/
const MULTIPLE = 'cannot insert multiple commands into a prepared statement'

/** Runs, or not: either way nothing of what it did is left. */
async function leavesNothing(query: string) {
  const before = await fingerprint()
  await runRuleQuery(reader, query, 5000).catch((e: unknown) => expect(e).toBeInstanceOf(RuleQueryError))
  expect(await fingerprint()).toEqual(before)
}

describe('a rule is one statement', () => {
  it('cannot commit and run a second statement (multi-statement with COMMIT)', async () => {
    await refused(breakOut('COMMIT; CREATE TABLE escaped_commit (id int)'), notOneStatement)
    await refused(breakOutNow('COMMIT; CREATE TABLE escaped_commit (id int)'), MULTIPLE)
    await refused('select 1; delete from meeting', notOneStatement)
    expect((await userObjects(target.db)).map((o) => o.name)).not.toContain('public.escaped_commit')
  })

  it('cannot COPY TO PROGRAM, even behind a COMMIT', async () => {
    const marker = path.join(os.tmpdir(), `dbadmin-escape-${randomBytes(4).toString('hex')}`)
    await refused(breakOut(`COMMIT; COPY (select 1) TO PROGRAM 'touch ${marker}'`), notOneStatement)
    await refused(breakOutNow(`COMMIT; COPY (select 1) TO PROGRAM 'touch ${marker}'`), MULTIPLE)
    await refused(`copy (select 1) to program 'touch ${marker}'`, /syntax error/)
    expect(fs.existsSync(marker)).toBe(false)
  })

  it('cannot write through a writable CTE or advance a sequence, even behind a COMMIT', async () => {
    await refused(breakOut('COMMIT; with d as (delete from meeting returning *) select count(*) from d'), notOneStatement)
    await refused(breakOutNow('COMMIT; with d as (delete from meeting returning *) select count(*) from d'), MULTIPLE)
    await refused('with d as (delete from meeting returning *) select * from d', /data-modifying statement/)
    await refused(breakOut("COMMIT; select nextval('meeting_id_seq')"), notOneStatement)
    await refused(breakOutNow("COMMIT; select nextval('meeting_id_seq')"), MULTIPLE)
    await refused("select nextval('meeting_id_seq')", /nextval|permission denied/)
  })
})

describe('a rule runs as a role that only reads', () => {
  it('cannot import or export large objects, and leaves none it creates', async () => {
    const oid = Number((await sql<{ oid: number }>`select lo_from_bytea(0, 'kept') as oid`.execute(target.db)).rows[0].oid)
    const exported = path.join(os.tmpdir(), `dbadmin-lo-${randomBytes(4).toString('hex')}`)
    try {
      await refused("select lo_import('/etc/passwd')", 'permission denied for function lo_import')
      await refused(`select lo_export(${oid}, '${exported}')`, 'permission denied for function lo_export')
      // PostgreSQL 15 lets a READ ONLY transaction create one; the rollback takes it away.
      await leavesNothing("select lo_from_bytea(0, 'x')")
      await leavesNothing('select lo_create(0)')
      await refused(`select lo_put(${oid}, 0, 'changed')`, /permission denied for large object|read-only transaction/)
      await refused(`select lo_unlink(${oid})`, /must be owner of large object|read-only transaction/)
      expect(fs.existsSync(exported)).toBe(false)
    } finally {
      await sql`select lo_unlink(${oid})`.execute(target.db)
    }
  })

  it("cannot read or list the server's files, nor put them into the error", async () => {
    const error = await refused("select cast(pg_read_file('postgresql.conf') as int)", 'permission denied for function pg_read_file')
    expect(error.message).not.toMatch(/listen_addresses|max_connections/)
    await refused("select * from pg_ls_dir('.')", 'permission denied for function pg_ls_dir')
    await refused("select pg_read_binary_file('/etc/passwd')", 'permission denied for function pg_read_binary_file')
  })

  it('cannot end or cancel another session', async () => {
    const other = new pg.Client({ connectionString: target.url, application_name: 'victim' })
    await other.connect()
    try {
      const pid = Number((await other.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0].pid)
      await refused(`select pg_terminate_backend(${pid})`, /permission denied to terminate process|must be a superuser/)
      await refused(`select pg_cancel_backend(${pid})`, /permission denied to cancel query|must be a superuser/)
      expect((await other.query('select 1 as alive')).rows).toEqual([{ alive: 1 }])
    } finally {
      await other.end()
    }
  })

  it('cannot become another role, or lift its statement timeout', async () => {
    await refused("select set_config('role', 'postgres', false)", 'permission denied to set role "postgres"')
    await refused("select set_config('session_authorization', 'postgres', false)", /permission denied to set session authorization/)
    await refused("select set_config('transaction_read_only', 'off', false)", /read-write mode/)
    // Set first, then sleep: the timeout armed for the statement still applies.
    await refused("select set_config('statement_timeout', '0', false), pg_sleep(3)", 'canceling statement due to statement timeout', 400)
    // Sleep only once the timeout is lifted: the old runner ran the text twice, the second time without it.
    const started = Date.now()
    const took = await runRuleQuery(
      reader,
      "select pg_sleep(case when current_setting('statement_timeout') = '0' then 3 else 0 end), set_config('statement_timeout', '0', false)",
      400,
    ).then(() => Date.now() - started)
    expect(took).toBeLessThan(2500)
  })

  it('leaves no advisory lock held after the run', async () => {
    const before = await fingerprint()
    expect(await runRuleQuery(reader, 'select 1 as held from (select pg_advisory_lock(4242)) as l', 5000)).toEqual({ count: 1, sample: [{ held: 1 }] })
    expect(await fingerprint()).toEqual(before)
  })

  it('cannot reach out through dblink', async (ctx) => {
    const available = (await sql<{ n: number }>`select count(*)::int as n from pg_available_extensions where name = 'dblink'`.execute(target.db)).rows[0].n
    if (!available) ctx.skip('dblink is not installed on this server')
    await sql`create extension if not exists dblink`.execute(target.db)
    try {
      const u = new URL(target.url)
      const conn = `host=${u.hostname} port=${u.port} dbname=${decodeURIComponent(u.pathname.slice(1))}`
      await refused(`select dblink_exec('${conn} user=postgres', 'create table escaped_dblink (id int)')`, /password is required|password or GSSAPI/)
      await refused(`select dblink_exec('${conn}', 'create table escaped_dblink (id int)')`, /password is required|password or GSSAPI/)
      await refused(`select * from dblink('${conn} user=postgres', 'select lo_from_bytea(0, ''x'')') as t(o oid)`, /password is required|password or GSSAPI/)
    } finally {
      await sql`drop extension if exists dblink`.execute(target.db)
    }
  })
})

describe('saving a rule', () => {
  it('refuses an escape and saves nothing', async () => {
    const before = await fingerprint()
    await expect(
      saveCustomRule(reader, state.db, { name: 'escape', query: breakOutNow('COMMIT; CREATE TABLE escaped_save (id int)'), enabled: true, by: 'admin@test.local', targetKey: (await targetIdentity(target.db)).key }, 5000),
    ).rejects.toThrow(MULTIPLE)
    expect(await listCustomRules(state.db, (await targetIdentity(target.db)).key)).toEqual([])
    expect(await fingerprint()).toEqual(before)
  })
})
