import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { lockTable } from '../../test/lock-table'
import { createDb } from '../db/connect'
import { readSchemaModel } from './catalog'
import { NOT_READ } from './catalog-queries'
import { toSnapshot } from './snapshot'

let t: FreshDatabase

beforeAll(async () => {
  t = await freshDatabase('catlock')
  await sql`create table item (
    id int primary key, n int not null default 1 check (n > 0), twice int generated always as (n * 2) stored, label text default 'x')`.execute(t.db)
  await sql`create index item_expr_idx on item ((n + 1)) where n > 0`.execute(t.db)
  await sql`create view item_view as select id, n from item`.execute(t.db)
  await sql`create function item_noop() returns trigger language plpgsql as 'begin return new; end'`.execute(t.db)
  await sql`create trigger item_trg before insert on item for each row when (new.n > 1) execute function item_noop()`.execute(t.db)
  await sql`create table other (id int primary key, at timestamptz default now())`.execute(t.db)
})
afterAll(async () => {
  await t?.drop()
})

describe('the schema model beside an ACCESS EXCLUSIVE lock held by another session', () => {
  it('does not wait for the lock: what needs the locked table reads as not read, everything else as usual', async () => {
    const locker = createDb(t.url, { max: 1 })
    // A session waiting for its lock would be cancelled by this statement timeout, failing the test.
    const reader = createDb(t.url, { max: 1, statementTimeoutMs: 3000 })
    try {
      const free = await readSchemaModel(reader, { sizes: true })
      const lock = await lockTable(locker, 'item')
      const started = Date.now()
      // Over a one-connection pool, as a migration's snapshot reads it: queued queries must not time out either.
      const model = await readSchemaModel(reader, { sizes: true })
      await lock.release()
      expect(Date.now() - started).toBeLessThan(2000)

      const item = model.relations.find((r) => r.name === 'item')!
      const col = (name: string) => item.columns.find((c) => c.name === name)!
      expect(col('n').default).toBe('1')
      expect(col('label').default).toBe("'x'::text")
      expect(col('twice').generated).toBe(NOT_READ)
      expect(item.indexes.map((i) => [i.name, i.definition])).toEqual([
        ['item_expr_idx', NOT_READ],
        ['item_pkey', NOT_READ],
      ])
      expect(item.constraints.map((c) => [c.kind, c.definition])).toEqual([['check', NOT_READ]])
      expect(item.primaryKey?.definition).toBe('PRIMARY KEY (id)')
      expect(item.triggers.map((x) => x.definition)).toEqual([NOT_READ])
      expect(model.relations.find((r) => r.name === 'item_view')!.viewDefinition).toBe(NOT_READ)
      // Tables nobody locked are read whole.
      const other = (m: typeof model) => m.relations.find((r) => r.name === 'other')
      expect(other(model)).toEqual(other(free))

      // Once the lock is gone, the same model as before.
      expect(toSnapshot(await readSchemaModel(reader, { sizes: false }))).toEqual(toSnapshot(free))
      expect(col('twice').generated).not.toBe(free.relations.find((r) => r.name === 'item')!.columns.find((c) => c.name === 'twice')!.generated)
    } finally {
      await reader.destroy()
      await locker.destroy()
    }
  })
})
