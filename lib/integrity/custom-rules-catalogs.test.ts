import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FreshDatabase } from '../../test/fresh-db'
import { type RuleReaderDbs, openRuleReaderDbs } from '../../test/rule-reader-dbs'
import { userObjects } from '../../test/user-objects'
import type { RestrictedReader } from '../db/reader-login'
import { ReaderQueryError } from '../db/restricted-reader'
import { targetIdentity } from '../db/target-identity'
import { customRuleFindings, listCustomRules, RULE_VALIDATION, RuleQueryError, runRuleQuery, saveCustomRule } from './custom-rules'

/**
 * The rule reader is a member of pg_read_all_data, which skips every table's ACL, system catalogs
 * included: without a check, `select rolpassword from pg_authid` returned the superuser's password
 * hash. Rules that read a system relation PUBLIC may not read, or call a function that runs a
 * query of its own, are refused before they run, on a target reached as a superuser.
 */

const ROLE = `rule_reader_${randomBytes(4).toString('hex')}`
let target: FreshDatabase
let state: RuleReaderDbs['state']
let reader: RestrictedReader
let targetKey: string
let dbs: RuleReaderDbs | undefined

beforeAll(async () => {
  dbs = await openRuleReaderDbs('catalogs', ROLE)
  target = dbs.target
  state = dbs.state
  reader = dbs.reader
  targetKey = (await targetIdentity(target.db)).key
})
afterAll(() => dbs?.close())

async function fingerprint() {
  const { rows } = await sql<Record<string, string>>`
    select (select count(*) from meeting)::text as meetings,
      (select count(*) from pg_largeobject_metadata)::text as large_objects,
      (select count(*) from pg_stat_activity where usename = ${ROLE})::text as reader_sessions
  `.execute(target.db)
  return { ...rows[0], objects: await userObjects(target.db) }
}

/** Refused with `message`, with no rows and no password hash anywhere in what comes back. */
async function refused(query: string, message: string | RegExp) {
  const before = await fingerprint()
  const outcome = await runRuleQuery(reader, query, 5000).then(
    (rows) => rows,
    (e: unknown) => e,
  )
  expect(outcome, query).toBeInstanceOf(RuleQueryError)
  expect((outcome as Error).message).toMatch(message)
  expect((outcome as Error).message).not.toMatch(/SCRAM-SHA-256|md5[0-9a-f]{32}/)
  expect(await fingerprint()).toEqual(before)
}

const AUTHID =
  'The query reads pg_catalog.pg_authid, which PUBLIC may not read: rules read table data only. Views over it (pg_roles, pg_stat_activity, information_schema’s privilege views) read it too: pg_get_userbyid(oid) gives a role’s name.'

describe('a rule reads no system catalog that PUBLIC may not read', () => {
  it('has a password hash to protect: the target superuser has a password', async () => {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_authid where rolsuper and rolpassword is not null`.execute(target.db)
    expect(rows[0].n).toBeGreaterThan(0)
  })

  it('refuses pg_authid read directly', async () => {
    await refused('select rolname, rolpassword from pg_authid', AUTHID)
    await refused('select rolname, rolpassword from pg_catalog.pg_authid where rolsuper', AUTHID)
  })

  it('refuses pg_authid read through the view pg_shadow', async () => {
    await refused('select usename, passwd from pg_shadow', AUTHID)
  })

  it('refuses pg_authid read in a CTE', async () => {
    await refused('with r as materialized (select rolname, rolpassword from pg_authid) select * from r', AUTHID)
  })

  it('refuses pg_authid read in a scalar subquery', async () => {
    await refused("select (select rolpassword from pg_authid where rolname = current_user) as p from meeting", AUTHID)
    await refused("select id from meeting where exists (select 1 from pg_authid where rolpassword like 'SCRAM%')", AUTHID)
  })

  it('refuses pg_authid in a join with a user table', async () => {
    await refused('select m.id, a.rolpassword from meeting m cross join pg_authid a', AUTHID)
    await refused('select m.id, a.rolpassword from meeting m left join pg_authid a on a.oid = 10', AUTHID)
  })

  it('refuses pg_statistic, pg_largeobject, pg_user_mapping and TOAST tables of protected catalogs', async () => {
    await refused('select stavalues1 from pg_statistic', 'The query reads pg_catalog.pg_statistic, which PUBLIC may not read')
    await refused('select data from pg_largeobject', 'The query reads pg_catalog.pg_largeobject, which PUBLIC may not read')
    await refused('select umoptions from pg_user_mapping', 'The query reads pg_catalog.pg_user_mapping, which PUBLIC may not read')
    await refused('select srsubstate from pg_subscription_rel join pg_subscription s on true', 'The query reads pg_catalog.pg_subscription, which PUBLIC may not read')
    const toast = (await sql<{ t: string }>`select reltoastrelid::regclass::text as t from pg_class where oid = 'pg_authid'::regclass`.execute(target.db)).rows[0].t
    await refused(`select * from ${toast}`, `The query reads ${toast}, which PUBLIC may not read`)
  })

  it('refuses functions that run a query of their own, whatever way they are written', async () => {
    const calls = /The query calls (query_to_xml|table_to_xml|ts_stat), which reads data outside the query's plan/
    await refused("select query_to_xml('select rolpassword from pg_authid', true, false, '')", calls)
    await refused("select pg_catalog.\"query_to_xml\"/**/('select rolpassword from pg_authid', true, false, '')", calls)
    await refused("select * from (values (lower(query_to_xml('select rolpassword from pg_authid', true, false, '')::text))) v(x)", calls)
    await refused("select table_to_xml('pg_authid', true, false, '')", calls)
    await refused("select * from ts_stat('select to_tsvector(rolpassword) from pg_authid')", calls)
    await refused(`select U&"quer\\0079_to_xml"('select rolpassword from pg_authid', true, false, '')`, /U&"…" escapes/)
  })

  it("cannot read others' large objects: the reader has no rights on them, and lo_get is refused by name", async () => {
    const oid = Number((await sql<{ oid: number }>`select lo_from_bytea(0, 'a secret') as oid`.execute(target.db)).rows[0].oid)
    try {
      // Past the rule's own checks: PostgreSQL itself refuses, pg_read_all_data does not cover large objects.
      const direct = await reader.session({ statementTimeoutMs: 5000 }, (s) => s.query('select pg_catalog.lo_get($1::oid) as data', [oid])).catch((e: unknown) => e)
      expect(direct).toBeInstanceOf(ReaderQueryError)
      expect((direct as Error).message).toBe(`permission denied for large object ${oid}`)
      await refused(`select lo_get(${oid})`, 'The query calls lo_get')
      await refused(`select loread(lo_open(${oid}, 262144), 100)`, 'The query calls loread')
    } finally {
      await sql`select lo_unlink(${oid})`.execute(target.db)
    }
  })

  it('still runs rules that read user tables, or catalogs PUBLIC may read', async () => {
    expect(await runRuleQuery(reader, 'select id, title from meeting where title is null', 5000)).toEqual({ count: 0, sample: [] })
    expect(
      await runRuleQuery(
        reader,
        "select c.relname, n.nspname from pg_class c join pg_namespace n on n.oid = c.relnamespace join meeting m on true where c.relname = 'meeting' and n.nspname = 'public' limit 1",
        5000,
      ),
    ).toEqual({ count: 1, sample: [{ relname: 'meeting', nspname: 'public' }] })
    expect(await runRuleQuery(reader, "select pg_get_userbyid(relowner) as owner from pg_class where relname = 'meeting' and relowner = 0", 5000)).toEqual({ count: 0, sample: [] })
    // The plan decides: without usename, pg_stat_activity's join to pg_authid is removed.
    expect((await runRuleQuery(reader, 'select pid from pg_stat_activity where pid = 0', 5000)).count).toBe(0)
    // information_schema's views of tables, columns and constraints read no protected catalog.
    expect(
      await runRuleQuery(
        reader,
        "select c.table_name, c.column_name from information_schema.columns c join information_schema.table_constraints t using (table_schema, table_name) where c.table_name = 'no such table'",
        5000,
      ),
    ).toEqual({ count: 0, sample: [] })
  })

  it('refuses views PUBLIC may read that plan as scans of protected catalogs, saying what to use instead', async () => {
    // pg_roles masks the password, but its plan scans pg_authid like any other query's.
    await refused('select rolname from pg_roles where rolsuper', AUTHID)
    await refused('select tablename from pg_stats', 'The query reads pg_catalog.pg_statistic, which PUBLIC may not read')
    await refused('select usename from pg_stat_activity', AUTHID)
    await refused('select grantee from information_schema.table_privileges', AUTHID)
  })

  it('refuses saving such a rule, and saves nothing', async () => {
    await expect(saveCustomRule(reader, state.db, { name: 'hashes', query: 'select rolpassword from pg_authid', enabled: true, by: 'admin@test.local', targetKey }, 5000)).rejects.toThrow(AUTHID)
    expect(await listCustomRules(state.db, targetKey)).toEqual([])
  })
})

describe('rules saved before this check', () => {
  it('are disabled at their next run when they read a protected catalog, with the reason; the others are kept', async () => {
    const saved = { enabled: true, updated_by: 'admin@before.fix', target_key: targetKey, validation: 1 }
    await state.db
      .insertInto('integrity_rule')
      .values([
        { ...saved, name: 'hashes', query: 'select rolname, rolpassword from pg_authid' },
        { ...saved, name: 'meetings', query: 'select id from meeting where title is null' },
      ])
      .execute()
    const found = await customRuleFindings(reader, state.db, targetKey, 5000)
    const note = `Disabled: saved before rules were kept from the system catalogs PUBLIC may not read, it does not pass: ${AUTHID}`
    expect(found.map((f) => [f.title, f.count, f.error ?? null, f.detail?.sample ?? null])).toEqual([
      ['hashes', null, note, null],
      ['meetings', 0, null, []],
    ])
    expect((await listCustomRules(state.db, targetKey)).map((r) => [r.name, r.enabled, r.validation, r.disabledNote])).toEqual([
      ['hashes', false, 1, note],
      ['meetings', true, RULE_VALIDATION, null],
    ])
  })
})
