import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FreshDatabase } from '../../test/fresh-db'
import { type RuleReaderDbs, openRuleReaderDbs } from '../../test/rule-reader-dbs'
import type { RestrictedReader } from '../db/reader-login'
import { targetIdentity } from '../db/target-identity'
import { customRuleFindings, deleteCustomRule, listCustomRules, RULE_VALIDATION, RuleQueryError, runRuleQuery, saveCustomRule } from './custom-rules'

const ROLE = `rule_reader_${randomBytes(4).toString('hex')}`
let target: FreshDatabase
let state: RuleReaderDbs['state']
let reader: RestrictedReader
let dbs: RuleReaderDbs | undefined

beforeAll(async () => {
  dbs = await openRuleReaderDbs('rules', ROLE)
  target = dbs.target
  state = dbs.state
  reader = dbs.reader
})
afterAll(() => dbs?.close())

const targetKey = async () => (await targetIdentity(target.db)).key

const meetings = async () => Number((await sql<{ n: string }>`select count(*) as n from meeting`.execute(target.db)).rows[0].n)

describe("admins' own rules", () => {
  it('saves a rule after running it once and reports its violating rows', async () => {
    const { rule, count } = await saveCustomRule(
      reader,
      state.db,
      { name: 'Long meetings', description: 'Meetings over 8 hours', query: "select id, title from meeting where end_time - start_time > interval '8 hours';", enabled: true, by: 'admin@test.local', targetKey: await targetKey() },
      5000,
    )
    expect(rule).toMatchObject({ name: 'Long meetings', enabled: true, updatedBy: 'admin@test.local', validation: RULE_VALIDATION, disabledNote: null })
    const { rows } = await sql<{ n: string }>`select count(*) as n from meeting where end_time - start_time > interval '8 hours'`.execute(target.db)
    expect(count).toBe(Number(rows[0].n))
    const [f] = await customRuleFindings(reader, state.db, await targetKey(), 5000)
    expect(f).toMatchObject({ check: 'rule', key: `custom_rule:${rule.id}`, title: 'Long meetings', count: Number(rows[0].n) })
  })

  it('refuses broken queries, second statements and writes, and changes nothing', async () => {
    const before = await meetings()
    const key = await targetKey()
    const save = (query: string, timeoutMs = 5000) =>
      saveCustomRule(reader, state.db, { name: 'bad ' + query.length, query, enabled: true, by: 'admin@test.local', targetKey: key }, timeoutMs)
    await expect(save('select nope from meeting')).rejects.toThrow('column "nope" does not exist')
    await expect(save('select 1; delete from meeting')).rejects.toThrow(/syntax error/)
    await expect(save('with d as (delete from meeting returning *) select * from d')).rejects.toThrow(
      /WITH clause containing a data-modifying statement must be at the top level/,
    )
    await expect(save('select pg_sleep(2)', 300)).rejects.toThrow('canceling statement due to statement timeout')
    expect(await meetings()).toBe(before)
    expect((await listCustomRules(state.db, await targetKey())).map((r) => r.name)).toEqual(['Long meetings'])
  })

  it('runs only enabled rules and reports a failing one as an error', async () => {
    const [rule] = await listCustomRules(state.db, await targetKey())
    await saveCustomRule(reader, state.db, { id: rule.id, name: rule.name, query: rule.query, enabled: false, by: 'admin@test.local', targetKey: await targetKey() }, 5000)
    expect(await customRuleFindings(reader, state.db, await targetKey(), 5000)).toEqual([])
    await saveCustomRule(reader, state.db, { id: rule.id, name: rule.name, query: rule.query, enabled: true, by: 'admin@test.local', targetKey: await targetKey() }, 5000)
    await sql`alter table meeting rename column title to headline`.execute(target.db)
    const [f] = await customRuleFindings(reader, state.db, await targetKey(), 5000)
    expect(f).toMatchObject({ count: null, error: 'column "title" does not exist' })
    await sql`alter table meeting rename column headline to title`.execute(target.db)
    expect(await deleteCustomRule(state.db, rule.id, await targetKey())).toBe(true)
  })

  it('counts and samples in one run of the text, whatever the rule selects', async () => {
    const marker = `once_${randomBytes(4).toString('hex')}`
    const result = await runRuleQuery(reader, `select n as ${marker} from generate_series(1, 50) n`, 5000)
    expect(result.count).toBe(50)
    expect(result.sample).toHaveLength(20)
    expect(result.sample[0]).toEqual({ [marker]: 1 })
    // The old runner sent the text twice (a count, then a sample); pg_stat_statements saw both.
    // It is also planned once first (EXPLAIN, which does not run it) for what it reads.
    const { rows } = await sql<{ explained: boolean; calls: number }>`
      select query ilike 'explain%' as explained, sum(calls)::int as calls from pg_stat_statements
      where query like '%' || ${marker} || '%' and query like '%generate_series%' group by 1 order by 1
    `.execute(target.db)
    expect(rows).toEqual([
      { explained: false, calls: 1 },
      { explained: true, calls: 1 },
    ])

    expect(await runRuleQuery(reader, 'select id from meeting where false', 5000)).toEqual({ count: 0, sample: [] })
    // Columns named like the statement's own aliases, and a comment at the end.
    expect(await runRuleQuery(reader, 'select 1 as dbadmin_violation, 2 as sampled, 3 as n -- trailing comment', 5000)).toEqual({
      count: 1,
      sample: [{ dbadmin_violation: 1, sampled: 2, n: 3 }],
    })
  })
})

describe('legitimate rules', () => {
  beforeAll(async () => {
    await sql`create schema ${sql.id('ünïcode schema')}`.execute(target.db)
    await sql`create table ${sql.id('ünïcode schema', 'Order; DROP TABLE x;--')} (id int primary key, ${sql.id('meeting id')} int, note text)`.execute(target.db)
    await sql`create table x (id int)`.execute(target.db)
    await sql`
      insert into ${sql.id('ünïcode schema', 'Order; DROP TABLE x;--')}
      select g, case when g % 2 = 0 then (select min(id) from meeting) else -g end, 'n' || g from generate_series(1, 10) g
    `.execute(target.db)
  })

  it('read joins, CTEs and odd identifiers, and leave every table in place', async () => {
    const query = `
      with orders as (select * from "ünïcode schema"."Order; DROP TABLE x;--")
      select o.id, o."meeting id", m.id as meeting
      from orders o left join meeting m on m.id = o."meeting id"
      where m.id is null
      order by o.id;`
    expect(await runRuleQuery(reader, query, 5000)).toMatchObject({ count: 5, sample: [{ id: 1, 'meeting id': -1, meeting: null }, { id: 3 }, { id: 5 }, { id: 7 }, { id: 9 }] })
    const { rows } = await sql<{ t: string }>`select to_regclass('public.x')::text as t`.execute(target.db)
    expect(rows).toEqual([{ t: 'x' }])
    const saved = await saveCustomRule(reader, state.db, { name: 'Orders; without a meeting', query, enabled: true, by: 'admin@test.local', targetKey: await targetKey() }, 5000)
    expect(saved.count).toBe(5)
    const found = await customRuleFindings(reader, state.db, await targetKey(), 5000)
    const mine = found.find((f) => f.title === 'Orders; without a meeting')!
    expect([mine.count, mine.error]).toEqual([5, undefined])
    await deleteCustomRule(state.db, saved.rule.id, await targetKey())
  })

  it("read tables their owner has not granted (pg_read_all_data), and see rows behind row-level security or fail, never fewer", async () => {
    await sql`create role ${sql.id(ROLE + '_owner')} nologin`.execute(target.db)
    await sql`create table private_notes (id int, body text)`.execute(target.db)
    await sql`insert into private_notes values (1, 'a'), (2, 'b')`.execute(target.db)
    await sql`alter table private_notes owner to ${sql.id(ROLE + '_owner')}`.execute(target.db)
    await sql`revoke all on private_notes from public`.execute(target.db)
    expect((await runRuleQuery(reader, 'select * from private_notes', 5000)).count).toBe(2)
    await sql`alter table private_notes enable row level security`.execute(target.db)
    await expect(runRuleQuery(reader, 'select * from private_notes', 5000)).rejects.toThrow(/row-level security/)
    await sql`drop table private_notes`.execute(target.db)
    await sql`drop role ${sql.id(ROLE + '_owner')}`.execute(target.db)
  })
})

describe('error messages of rules', () => {
  it('keep the first line, at most 300 characters', async () => {
    const long = await runRuleQuery(reader, `select cast(repeat('x', 1000) as int)`, 5000).catch((e: RuleQueryError) => e)
    expect((long as RuleQueryError).reason).toMatch(/^invalid input syntax for type integer: "x+…$/)
    expect((long as RuleQueryError).reason.length).toBe(300)
    expect((long as RuleQueryError).message).toBe(`The query does not run: ${(long as RuleQueryError).reason}`)
    const lines = await runRuleQuery(reader, `select cast(E'first\\nsecond line' as int)`, 5000).catch((e: RuleQueryError) => e)
    expect((lines as RuleQueryError).reason).toBe('invalid input syntax for type integer: "first')
    await saveCustomRule(reader, state.db, { name: 'Multi-line', query: 'select 1 as one', enabled: true, by: 'admin@test.local', targetKey: await targetKey() }, 5000)
    const [rule] = (await listCustomRules(state.db, await targetKey())).filter((r) => r.name === 'Multi-line')
    await state.db.updateTable('integrity_rule').set({ query: `select cast(E'first\\nsecond ' || repeat('y', 500) as int)` }).where('id', '=', rule.id).execute()
    const [f] = await customRuleFindings(reader, state.db, await targetKey(), 5000)
    expect(f.error).toBe('invalid input syntax for type integer: "first')
    await deleteCustomRule(state.db, rule.id, await targetKey())
  })
})
