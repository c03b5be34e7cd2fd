import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { foreignKeyRelations } from '../integrity/foreign-key-relations'
import { readSchemaModel } from './catalog'
import { readForeignKeyGraph } from './delete-impact'
import { readForeignKeys } from './foreign-keys'

let fresh: FreshDatabase

beforeAll(async () => {
  fresh = await freshDatabase('foreign_keys')
  await sql`
    create schema "Ünï Schema";
    create table "Ünï Schema"."Order; x" (id int, region text, primary key (id, region));
    create table public.line (id int primary key, order_id int, region varchar(20) collate "C");
    alter table public.line add constraint "line→order" foreign key (order_id, region) references "Ünï Schema"."Order; x" (id, region)
      match full on delete cascade on update set null deferrable initially deferred not valid;
  `.execute(fresh.db)
})
afterAll(() => fresh?.drop())

describe('the foreign-key catalog', () => {
  it('reads a key once, with every field the schema pages, delete impact and integrity use', async () => {
    const [key] = await readForeignKeys(fresh.db)
    expect(key).toEqual({
      name: 'line→order',
      schema: 'public',
      table: 'line',
      columns: ['order_id', 'region'],
      refSchema: 'Ünï Schema',
      refTable: 'Order; x',
      refColumns: ['id', 'region'],
      onDelete: 'CASCADE',
      onUpdate: 'SET NULL',
      deferrable: true,
      initiallyDeferred: true,
      validated: false,
      matchFull: true,
      definition: expect.stringContaining('MATCH FULL ON UPDATE SET NULL ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED'),
      collations: [null, ['pg_catalog', 'default']],
      casts: [null, ['pg_catalog', 'text']],
    })

    // The schema page's ForeignKeyInfo (read in the catalog's constraint pass) is the same key.
    const model = await readSchemaModel(fresh.db)
    const { matchFull: _m, collations: _c, casts: _t, ...info } = key
    expect(model.relations.find((r) => r.name === 'line')!.foreignKeys).toEqual([info])

    expect(await readForeignKeyGraph(fresh.db)).toEqual([
      { name: key.name, schema: 'public', table: 'line', columns: key.columns, refSchema: key.refSchema, refTable: key.refTable, onDelete: 'CASCADE', validated: false },
    ])
    expect(await foreignKeyRelations(fresh.db)).toEqual([
      {
        name: key.name,
        schema: 'public',
        table: 'line',
        columns: key.columns,
        refSchema: key.refSchema,
        refTable: key.refTable,
        refColumns: key.refColumns,
        validated: false,
        matchFull: true,
        source: 'foreign_key',
        collations: key.collations,
        casts: key.casts,
      },
    ])
  })
})
