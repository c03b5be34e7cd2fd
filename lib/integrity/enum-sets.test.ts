import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { freshStateDb } from '../../test/state-db'
import { enumChecks } from './enum-checks'
import { deleteEnumSet, listEnumSets, saveEnumSet } from './enum-sets'
import { targetIdentity } from '../db/target-identity'

let target: FreshDatabase
let state: Awaited<ReturnType<typeof freshStateDb>>
/** Settings are kept per target (lib/db/target-identity.ts). */
const key = async () => (await targetIdentity(target.db)).key

beforeAll(async () => {
  target = await freshDatabase('enumsets')
  state = await freshStateDb()
  // No enum type anywhere: only a declaration makes this column an enum.
  await sql`create table ticket (id int primary key, status text, opened date)`.execute(target.db)
  await sql`insert into ticket select g, (array['open', 'closed', 'Open', 'archived', null])[1 + g % 5], current_date from generate_series(1, 100) g`.execute(target.db)
})
afterAll(async () => {
  await target?.drop()
  await state?.drop()
})

describe('declared value sets of text columns', () => {
  it('counts the rows outside the declared values and the values off only by case', async () => {
    await saveEnumSet(target.db, state.db, { schema: 'public', table: 'ticket', column: 'status', values: ['open', 'closed', 'open'], by: 'op@test.local' })
    const [set] = await listEnumSets(state.db, await key())
    expect(set).toMatchObject({ table: 'ticket', column: 'status', values: ['open', 'closed'], createdBy: 'op@test.local' })
    const found = (await enumChecks(target.db, await listEnumSets(state.db, await key()))).filter((f) => f.check === 'enum_values')
    expect(found).toEqual([
      expect.objectContaining({
        table: 'ticket',
        columns: ['status'],
        count: 40,
        values: ['Open', 'archived'],
        detail: expect.objectContaining({ caseOnly: ['Open'], perValue: { Open: 20, archived: 20 } }),
      }),
    ])
  })

  it('refuses columns that do not exist or are not text, and changes nothing', async () => {
    await expect(
      saveEnumSet(target.db, state.db, { schema: 'public', table: 'ticket', column: 'nope', values: ['a'], by: 'x' }),
    ).rejects.toThrow('There is no column nope in public.ticket.')
    await expect(
      saveEnumSet(target.db, state.db, { schema: 'public', table: 'ticket', column: 'opened', values: ['a'], by: 'x' }),
    ).rejects.toThrow('opened is not a text column; an enum column is checked by its type.')
    expect(await listEnumSets(state.db, await key())).toHaveLength(1)
    const [set] = await listEnumSets(state.db, await key())
    expect(await deleteEnumSet(state.db, set.id, await key())).toBe(true)
    expect(await listEnumSets(state.db, await key())).toEqual([])
  })
})
