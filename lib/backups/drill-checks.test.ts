import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import type { IntegrityRelation } from '../integrity/types'
import { drillChecks } from './drill-checks'
import { restoreStatsSettled } from './restore-stats'

// The drill's counts and orphan scans on a restored copy, odd names and all.
let target: FreshDatabase
const S = 'ünïcode schema'
const parent = 'Order; DROP TABLE x;--'
const kid = 'kid "x"'
const soft = (over: Partial<IntegrityRelation>): IntegrityRelation => ({
  name: 'r',
  source: 'soft',
  validated: null,
  schema: S,
  table: kid,
  columns: ['ref col'],
  refSchema: S,
  refTable: parent,
  refColumns: ['Key id'],
  ...over,
})

beforeAll(async () => {
  target = await freshDatabase('drillchecks')
  const db = target.db
  await sql`create schema ${sql.id(S)}`.execute(db)
  await sql`create table ${sql.id(S, parent)} ("Key id" int primary key)`.execute(db)
  await sql`insert into ${sql.id(S, parent)} values (1), (2), (3)`.execute(db)
  // Two NULL references (never orphans), two with a parent, one orphan (99).
  await sql`create table ${sql.id(S, kid)} (id int primary key, "ref col" int, "txt ref" text)`.execute(db)
  await sql`insert into ${sql.id(S, kid)} values (1, null, '1'), (2, null, null), (3, 1, 'abc'), (4, 2, '2'), (5, 99, '3')`.execute(db)
  // An inheritance child of the child table: counted with ONLY, so not part of its rows or orphans.
  await sql`create table ${sql.id(S, 'grandkid')} () inherits (${sql.id(S, kid)})`.execute(db)
  await sql`insert into ${sql.id(S, 'grandkid')} values (6, 98, null)`.execute(db)
  // A parent without a unique key: one row can match twice, so the child is scanned twice, not joined.
  await sql`create table ${sql.id(S, 'loose')} (v int)`.execute(db)
  await sql`insert into ${sql.id(S, 'loose')} values (1), (1), (2)`.execute(db)
  await sql`create table ${sql.id(S, 'loose kid')} (v int)`.execute(db)
  await sql`insert into ${sql.id(S, 'loose kid')} values (1), (2), (7), (null)`.execute(db)
})
afterAll(async () => target?.drop())

const counts = (rows: Record<string, number>) => Object.entries(rows).map(([table, n]) => ({ schema: S, table, rows: n }))

describe('the drill checks', () => {
  it('counts each table exactly (with ONLY) and scans each relation that is not a validated foreign key', async () => {
    const rels = [
      soft({ childOnly: true }),
      soft({ name: 'l', table: 'loose kid', columns: ['v'], refTable: 'loose', refColumns: ['v'] }),
      { ...soft({ name: 'fk', source: 'foreign_key', validated: true }) },
    ]
    const r = await drillChecks(target.db, counts({ [kid]: 5, [parent]: 3, 'loose kid': 4, loose: 3, grandkid: 1 }), rels)
    expect(r.tables).toEqual([
      { schema: S, table: kid, expected: 5, actual: 5, ok: true },
      { schema: S, table: parent, expected: 3, actual: 3, ok: true },
      { schema: S, table: 'loose kid', expected: 4, actual: 4, ok: true },
      { schema: S, table: 'loose', expected: 3, actual: 3, ok: true },
      { schema: S, table: 'grandkid', expected: 1, actual: 1, ok: true },
    ])
    expect(r.orphans).toEqual([
      { relation: `${S}.${kid} → ${S}.${parent}`, source: 'soft', validated: false, count: 1, by: 'scan' },
      { relation: `${S}.loose kid → ${S}.loose`, source: 'soft', validated: false, count: 1, by: 'scan' },
      { relation: `${S}.${kid} → ${S}.${parent}`, source: 'foreign_key', validated: true, count: 0, by: 'constraint' },
    ])
  })

  it('reports a count that differs and a missing table, and still counts the orphans', async () => {
    const r = await drillChecks(target.db, counts({ [kid]: 6, gone: 2 }), [soft({ childOnly: true })])
    expect(r.tables).toEqual([
      { schema: S, table: kid, expected: 6, actual: 5, ok: false },
      { schema: S, table: 'gone', expected: 2, actual: null, ok: false },
    ])
    expect(r.orphans.map((o) => o.count)).toEqual([1])
  })

  it('counts the rows when the orphan scan fails, and gives the scan its own error', async () => {
    // 'abc' does not cast to the key's type.
    const rel = soft({ columns: ['txt ref'], casts: [['pg_catalog', 'int4']], childOnly: true })
    const r = await drillChecks(target.db, counts({ [kid]: 5 }), [rel])
    expect(r.tables).toEqual([{ schema: S, table: kid, expected: 5, actual: 5, ok: true }])
    expect(r.orphans[0]).toMatchObject({ count: null, by: 'scan', error: expect.stringMatching(/invalid input syntax for type integer/) })
  })

  it('counts the orphans alone when no row counts were recorded', async () => {
    const r = await drillChecks(target.db, null, [soft({ childOnly: true })])
    expect(r.tables).toEqual([])
    expect(r.orphans.map((o) => o.count)).toEqual([1])
  })

  it("takes a plain table's rows from the restore's inserts when the statistics are settled, and counts other kinds", async () => {
    // Written by a session that then ends, as pg_restore's do: its counts are in once it is gone.
    const c = new pg.Client({ connectionString: target.url })
    await c.connect()
    await c.query(`create table "${S}".ins (v int)`)
    await c.query(`insert into "${S}".ins select generate_series(1, 4)`)
    // Deleted after the inserts: the inserts are what the option reads (only a restore writes where it is used).
    await c.query(`delete from "${S}".ins where v = 4`)
    await c.query(`create materialized view "${S}".mv as select generate_series(1, 3) as v`)
    await c.end()
    // The fixture's pool is named dor-db-admin: the wait is for the writer's backend alone.
    expect(await restoreStatsSettled(target.db, 'dor-db-admin')).toBe(true)
    const r = await drillChecks(target.db, counts({ ins: 4, mv: 3 }), [], { insertedRows: true })
    expect(r.tables).toEqual([
      { schema: S, table: 'ins', expected: 4, actual: 4, ok: true },
      { schema: S, table: 'mv', expected: 3, actual: 3, ok: true },
    ])
    const counted = await drillChecks(target.db, counts({ ins: 4 }), [])
    expect(counted.tables).toEqual([{ schema: S, table: 'ins', expected: 4, actual: 3, ok: false }])
  })

  it('uses an orphan count started during the restore for its own relation, and its failure as the scan would', async () => {
    const rel = soft({ childOnly: true })
    const other = soft({ name: 'l', table: 'loose kid', columns: ['v'], refTable: 'loose', refColumns: ['v'] })
    const r = await drillChecks(target.db, null, [rel, other], { earlyOrphans: (x) => (x === rel ? Promise.resolve(7) : undefined) })
    expect(r.orphans.map(({ count, early }) => ({ count, early }))).toEqual([
      { count: 7, early: true },
      { count: 1, early: undefined },
    ])
    const failed = await drillChecks(target.db, null, [rel], { earlyOrphans: () => Promise.reject(new Error('terminated')) })
    expect(failed.orphans[0]).toMatchObject({ count: null, early: true, error: 'terminated' })
  })
})
