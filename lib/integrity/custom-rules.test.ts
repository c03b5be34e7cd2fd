import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { freshStateDb } from '../../test/state-db'
import { targetIdentity } from '../db/target-identity'
import { buildDemoDatabase } from '../demo/prepare-demo'
import { customRuleFindings, deleteCustomRule, listCustomRules, saveCustomRule } from './custom-rules'

let target: FreshDatabase
let state: Awaited<ReturnType<typeof freshStateDb>>

beforeAll(async () => {
  target = await freshDatabase('rules')
  state = await freshStateDb()
  await buildDemoDatabase(target.db)
})
afterAll(async () => {
  await target?.drop()
  await state?.drop()
})

const targetKey = async () => (await targetIdentity(target.db)).key

const meetings = async () => Number((await sql<{ n: string }>`select count(*) as n from meeting`.execute(target.db)).rows[0].n)

describe("admins' own rules", () => {
  it('saves a rule after running it once and reports its violating rows', async () => {
    const { rule, count } = await saveCustomRule(
      target.db,
      state.db,
      { name: 'Long meetings', description: 'Meetings over 8 hours', query: "select id, title from meeting where end_time - start_time > interval '8 hours';", enabled: true, by: 'admin@test.local' },
      5000,
    )
    expect(rule).toMatchObject({ name: 'Long meetings', enabled: true, updatedBy: 'admin@test.local' })
    const { rows } = await sql<{ n: string }>`select count(*) as n from meeting where end_time - start_time > interval '8 hours'`.execute(target.db)
    expect(count).toBe(Number(rows[0].n))
    const [f] = await customRuleFindings(target.db, state.db, 5000)
    expect(f).toMatchObject({ check: 'rule', key: `custom_rule:${rule.id}`, title: 'Long meetings', count: Number(rows[0].n) })
  })

  it('refuses broken queries, second statements and writes, and changes nothing', async () => {
    const before = await meetings()
    const save = (query: string, timeoutMs = 5000) =>
      saveCustomRule(target.db, state.db, { name: 'bad ' + query.length, query, enabled: true, by: 'admin@test.local' }, timeoutMs)
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
    await saveCustomRule(target.db, state.db, { id: rule.id, name: rule.name, query: rule.query, enabled: false, by: 'admin@test.local' }, 5000)
    expect(await customRuleFindings(target.db, state.db, 5000)).toEqual([])
    await saveCustomRule(target.db, state.db, { id: rule.id, name: rule.name, query: rule.query, enabled: true, by: 'admin@test.local' }, 5000)
    await sql`alter table meeting rename column title to headline`.execute(target.db)
    const [f] = await customRuleFindings(target.db, state.db, 5000)
    expect(f).toMatchObject({ count: null, error: 'column "title" does not exist' })
    await sql`alter table meeting rename column headline to title`.execute(target.db)
    expect(await deleteCustomRule(state.db, rule.id, await targetKey())).toBe(true)
  })
})
