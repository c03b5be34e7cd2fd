import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { countOrphans } from '../integrity/orphans'
import type { IntegrityRelation } from '../integrity/types'
import { EarlyOrphanScans } from './early-orphan-scans'
import type { TocEntry } from './toc'

// A drill's soft relations are scanned as soon as pg_restore says both tables' data are in.
let target: FreshDatabase
const S = 'ünïcode schema'
const soft = (table: string, refTable: string, over: Partial<IntegrityRelation> = {}): IntegrityRelation => ({
  name: `${table}→${refTable}`,
  source: 'soft',
  validated: null,
  schema: S,
  table,
  columns: ['ref'],
  refSchema: S,
  refTable,
  refColumns: ['id'],
  ...over,
})
// Each table's TABLE entry is 100 + its data entry's id, as the list's "depends on" has it.
const data = (id: number, schema: string, table: string): TocEntry => ({ id, desc: 'TABLE DATA', schema: null, name: null, owner: null, deps: [100 + id], line: `TABLE DATA ${schema} ${table} postgres` })
const index = (id: number, tableEntry: number): TocEntry => ({ id, desc: 'INDEX', schema: null, name: null, owner: null, deps: [tableEntry], line: `INDEX ${S} some_idx postgres` })

beforeAll(async () => {
  target = await freshDatabase('earlyscans')
  const db = target.db
  await sql`create schema ${sql.id(S)}`.execute(db)
  await sql`create table ${sql.id(S, 'Order; DROP TABLE x;--')} (id int primary key)`.execute(db)
  await sql`insert into ${sql.id(S, 'Order; DROP TABLE x;--')} values (1), (2)`.execute(db)
  for (const t of ['kid', 'a', 'a b', 'other kid']) {
    await sql`create table ${sql.id(S, t)} (ref int)`.execute(db)
    await sql`insert into ${sql.id(S, t)} values (1), (5), (null)`.execute(db)
  }
  await sql`create table ${sql.id(S, 'part')} (id int) partition by range (id)`.execute(db)
  await sql`create table ${sql.id(S, 'part_1')} partition of ${sql.id(S, 'part')} for values from (0) to (10)`.execute(db)
})
afterAll(async () => target?.drop())

describe('EarlyOrphanScans', () => {
  it('starts a soft relation when both its tables are in and read once by an index build, and nothing for names it cannot tell apart, partitioned tables or foreign keys', async () => {
    const parent = 'Order; DROP TABLE x;--'
    const rel = soft('kid', parent)
    const ambiguous = soft('a b', parent)
    const partitioned = soft('other kid', 'part')
    const fk = soft('other kid', parent, { source: 'foreign_key', validated: false })
    const scans = new EarlyOrphanScans(target.db, async () => [rel, ambiguous, partitioned, fk])
    // kid has an index to build; the parent none (ready with its data).
    const toc = [data(1, S, 'kid'), data(2, S, 'a b'), data(3, S, 'part_1'), data(4, S, 'other kid'), data(5, S, parent), index(11, 101)]
    const done = (id: number) => scans.itemFinished(toc.find((e) => e.id === id)!, toc)
    try {
      done(1)
      // "a b" with owner "postgres", or "a" with owner "b postgres": either table.
      done(2)
      done(3)
      done(4)
      done(5)
      await new Promise((r) => setTimeout(r, 200))
      expect(scans.resultFor(rel)).toBeUndefined()
      done(11)
      await vi.waitFor(() => expect(scans.resultFor(rel)).toBeDefined())
      expect(await scans.resultFor({ ...rel, name: 'the same columns' })).toBe(await countOrphans(target.db, rel))
      expect(await scans.resultFor(rel)).toBe(1)
      for (const r of [ambiguous, partitioned, fk]) expect(scans.resultFor(r)).toBeUndefined()
      expect(scans.resultFor({ ...rel, childOnly: true })).toBeUndefined()
    } finally {
      await scans.settle()
    }
  })

  it('starts nothing once stopped, and leaves the drill the scans when the relations cannot be read', async () => {
    const rel = soft('kid', 'Order; DROP TABLE x;--')
    const toc = [data(1, S, 'kid'), data(5, S, 'Order; DROP TABLE x;--')]
    const stopped = new EarlyOrphanScans(target.db, async () => [rel])
    stopped.stop()
    for (const e of toc) stopped.itemFinished(e, toc)
    const failing = new EarlyOrphanScans(target.db, async () => Promise.reject(new Error('state database down')))
    for (const e of toc) failing.itemFinished(e, toc)
    await new Promise((r) => setTimeout(r, 200))
    expect(stopped.resultFor(rel)).toBeUndefined()
    expect(failing.resultFor(rel)).toBeUndefined()
    await Promise.all([stopped.settle(), failing.settle()])
  })
})
