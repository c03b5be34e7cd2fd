import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ODD_SCHEMA as SCHEMA, ODD_TABLE as ODD, type OddNamesDatabase, oddNamesDatabase } from '../../test/odd-names-db'
import { listIndexes } from './indexes'
import { readIndexesPage } from './indexes-page'

let fresh: OddNamesDatabase

beforeAll(async () => {
  fresh = await oddNamesDatabase('idx_page', sql`id int primary key, note text`)
  const q = fresh.run
  await q(sql`create index ${sql.id('dup one')} on ${sql.id(SCHEMA, ODD)} (note)`)
  await q(sql`create index ${sql.id('dup two')} on ${sql.id(SCHEMA, ODD)} (note)`)
  for (let i = 0; i < 6; i++) await q(sql`create table ${sql.id(`t${i}`)} (id int primary key, v int)`)
  await q(sql`insert into t5 select g, g from generate_series(1, 5000) g`)
})

afterAll(async () => {
  await fresh?.drop()
})

describe('readIndexesPage', () => {
  it('pages, sorts and filters on the server, with definitions only for the rows shown', async () => {
    const first = await readIndexesPage(fresh.db, { limit: 3 })
    expect(first.total).toBe(9)
    expect(first.matched).toBe(9)
    // Sorted by qualified name: the odd schema's name is quoted, so it sorts first.
    expect(first.indexes.map((i) => i.name)).toEqual([`${ODD}_pkey`, 'dup one', 'dup two'])
    expect(first.indexes.every((i) => i.definition?.startsWith('CREATE'))).toBe(true)
    expect(first.indexes[1].definition).toBe(`CREATE INDEX "dup one" ON "${SCHEMA}"."${ODD}" USING btree (note)`)
    // Every finding still comes from every index, whatever page is shown.
    expect(first.findings.some((f) => f.kind === 'duplicate' && f.table === ODD)).toBe(true)

    const second = await readIndexesPage(fresh.db, { limit: 3, offset: 3 })
    expect(second.indexes.map((i) => i.name)).toEqual(['t0_pkey', 't1_pkey', 't2_pkey'])

    const bySize = await readIndexesPage(fresh.db, { limit: 1, sort: 'size' })
    expect(bySize.indexes[0].name).toBe('t5_pkey')
    const smallestLast = await readIndexesPage(fresh.db, { limit: 9, sort: 'size', direction: 'asc' })
    expect(smallestLast.indexes.at(-1)?.name).toBe('t5_pkey')

    const filtered = await readIndexesPage(fresh.db, { limit: 50, search: 'DROP TABLE' })
    expect(filtered.matched).toBe(3)
    expect(filtered.total).toBe(9)
    const none = await readIndexesPage(fresh.db, { limit: 50, search: 'no such index' })
    expect(none.indexes).toEqual([])
  })

  it('lists without definitions when asked, and with them by default', async () => {
    const bare = await listIndexes(fresh.db, { definitions: false })
    expect(bare.indexes.every((i) => i.definition === null)).toBe(true)
    const full = await listIndexes(fresh.db)
    expect(full.indexes.every((i) => i.definition?.startsWith('CREATE'))).toBe(true)
  })
})
