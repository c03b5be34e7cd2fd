import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { freshStateDb } from '../../test/state-db'
import { buildDemoDatabase } from '../demo/prepare-demo'
import { liveColumns } from './live-columns'
import { roleChecks } from './role-checks'
import { deleteRoleRule, listRoleRules, saveRoleRule } from './role-rules'
import { targetIdentity } from '../db/target-identity'

let target: FreshDatabase
let state: Awaited<ReturnType<typeof freshStateDb>>
/** Settings are kept per target (lib/db/target-identity.ts). */
const key = async () => (await targetIdentity(target.db)).key

beforeAll(async () => {
  target = await freshDatabase('rolerules')
  state = await freshStateDb()
  await buildDemoDatabase(target.db)
})
afterAll(async () => {
  await target?.drop()
  await state?.drop()
})

const notAllowed = async () =>
  (await roleChecks(target.db, await liveColumns(target.db), [], await listRoleRules(state.db, await key())))
    .filter((f) => f.check === 'role_not_allowed')
    .map((f) => [f.table, f.columns[0], f.count])

describe('role rules', () => {
  it('ships the DoR presets, and a stricter rule finds the rows its owners may not have', async () => {
    expect((await listRoleRules(state.db, await key())).map((r) => [r.table, r.column, r.allowed])).toEqual([
      ['meeting', 'created_by', ['FACULTY', 'SECRETARY', 'ADMIN']],
      ['registration_request', 'processed_by', ['SECRETARY', 'ADMIN', 'FACULTY']],
    ])
    expect(await notAllowed()).toEqual([
      ['meeting', 'created_by', 0],
      ['registration_request', 'processed_by', 0],
    ])
    // Only admins may create meetings: every meeting by a faculty or secretary member breaks it.
    await saveRoleRule(target.db, state.db, { table: 'meeting', column: 'created_by', what: 'meetings created', allowed: ['admin'], by: 'op@test.local' })
    const [meeting] = await notAllowed()
    expect(meeting[2]).toBeGreaterThan(0)
    expect((await listRoleRules(state.db, await key()))[0]).toMatchObject({ allowed: ['ADMIN'], createdBy: 'op@test.local' })
  })

  it('refuses a column that does not exist and removes rules', async () => {
    await expect(
      saveRoleRule(target.db, state.db, { table: 'meeting', column: 'nope', what: 'x', allowed: ['ADMIN'], by: 'x' }),
    ).rejects.toThrow('There is no table meeting with a column nope.')
    const rules = await listRoleRules(state.db, await key())
    for (const r of rules) expect(await deleteRoleRule(state.db, r.id, await key())).toBe(true)
    expect(await notAllowed()).toEqual([])
  })
})
