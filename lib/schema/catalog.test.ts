import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { readSchemaModel } from './catalog'
import { createOddNames, ODD } from './odd-names-fixture'

let fresh: FreshDatabase

beforeAll(async () => {
  fresh = await freshDatabase('catalog')
  await createOddNames(fresh.db)
})
afterAll(() => fresh?.drop())

describe('readSchemaModel', () => {
  it('reads odd names verbatim with every kind of object', async () => {
    const model = await readSchemaModel(fresh.db)
    expect(model.schemas.map((s) => s.name)).toEqual(['public', ODD.schema])
    const table = model.relations.find((r) => r.schema === ODD.schema && r.name === ODD.table)!
    expect(table.kind).toBe('table')
    expect(table.columns.map((c) => [c.name, c.type, c.typeCategory, c.nullable])).toEqual([
      ['id', 'bigint', 'base', false],
      [ODD.column, 'numeric(10,2)', 'base', false],
      ['mood', `"${ODD.schema}"."Mood ""type"""`, 'enum', true],
      ['moods', `"${ODD.schema}"."Mood ""type"""[]`, 'array', true],
      ['doubled', 'numeric', 'base', true],
    ])
    expect(table.columns[0].identity).toBe('always')
    expect(table.columns[4].generated).toBe(`("${ODD.column}" * (2)::numeric)`)
    expect(table.columns[1].default).toBe('0')
    expect(table.primaryKey).toMatchObject({ kind: 'primary_key', columns: ['id'] })
    expect(table.constraints).toEqual([
      expect.objectContaining({ name: ODD.constraint, kind: 'check', definition: `CHECK (("${ODD.column}" >= (0)::numeric))` }),
    ])
    const partial = table.indexes.find((i) => i.name === 'idx ' + ODD.column)!
    expect(partial).toMatchObject({ columns: [ODD.column], partial: true, unique: false, valid: true, method: 'btree', scans: 0 })
    expect(table.indexes.find((i) => i.primary)?.constraint).toBe(`${ODD.table}_pkey`)

    const emoji = model.relations.find((r) => r.name === ODD.emoji)!
    expect(emoji.primaryKey).toBeNull()
    expect(emoji.foreignKeys).toEqual([
      expect.objectContaining({
        name: 'fk ' + ODD.emoji,
        columns: ['ref'],
        refSchema: ODD.schema,
        refTable: ODD.quoted,
        refColumns: ['id'],
        onDelete: 'SET NULL',
        validated: false,
      }),
    ])
    const view = model.relations.find((r) => r.name === 'happy orders')!
    expect(view.kind).toBe('view')
    expect(view.totalBytes).toBeNull()
    expect(view.viewDefinition).toContain('happy')

    // Row order follows the database's collation; compare as sets.
    expect(model.enums).toEqual([
      {
        schema: ODD.schema,
        name: ODD.enum,
        values: ['happy', 'sad', "it's; complicated"],
        usedBy: expect.arrayContaining([
          { schema: ODD.schema, table: 'happy orders', column: 'mood' },
          { schema: ODD.schema, table: 'happy orders', column: 'moods' },
          { schema: ODD.schema, table: ODD.table, column: 'mood' },
          { schema: ODD.schema, table: ODD.table, column: 'moods' },
        ]),
      },
    ])
    expect(model.enums[0].usedBy).toHaveLength(4)
  })

  it('reports sequences with the share of their range used', async () => {
    await sql`insert into ${sql.id(ODD.schema, ODD.quoted)} (order_id) values (null), (null)`.execute(fresh.db)
    const model = await readSchemaModel(fresh.db)
    const seq = model.sequences.find((s) => s.name === `${ODD.quoted}_id_seq`)!
    expect(seq).toMatchObject({
      schema: ODD.schema,
      dataType: 'integer',
      lastValue: 2,
      maxValue: 2147483647,
      ownedBy: { schema: ODD.schema, table: ODD.quoted, column: 'id' },
    })
    expect(seq.usedShare).toBeCloseTo(1 / 2147483646, 12)
    const identity = model.sequences.find((s) => s.ownedBy?.table === ODD.table)!
    expect(identity.lastValue).toBeNull()
    expect(identity.usedShare).toBeNull()
  })

  it('hides system schemas unless asked', async () => {
    const model = await readSchemaModel(fresh.db, { includeSystem: true })
    expect(model.schemas.map((s) => s.name)).toContain('pg_catalog')
    expect(model.relations.some((r) => r.schema === 'pg_catalog' && r.name === 'pg_class')).toBe(true)
  })
})
