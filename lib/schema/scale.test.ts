import { Kysely, PostgresDialect, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createWideSchema, WIDE_MARKER_COLUMN, wideSchemaCounts } from '../../bench/wide-schema'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { createPool } from '../db/connect'
import { readSchemaModel } from './catalog'
import { listRelations } from './relation-list'
import type { SchemaModel } from './types'

/** 5,000 tables × 10 columns: the catalog is read in a few set-based queries, the list is paged in PostgreSQL. */

let fresh: FreshDatabase
/** A second pool on the same database that counts every query it runs. */
let counted: Kysely<any>
let queries = 0
/** Read once through the counting pool; the tests look at it from several sides. */
let model: SchemaModel
let modelQueries = 0
let modelMs = 0

const name = (i: number) => `t_${String(i).padStart(5, '0')}`

beforeAll(async () => {
  fresh = await freshDatabase('scale')
  await createWideSchema(fresh.db, { tables: 5000 })
  counted = new Kysely({
    dialect: new PostgresDialect({ pool: createPool(fresh.url, { max: 4 }) }),
    log: (event) => {
      if (event.level === 'query') queries++
    },
  })
  queries = 0
  const started = performance.now()
  model = await readSchemaModel(counted)
  modelMs = performance.now() - started
  modelQueries = queries
})

afterAll(async () => {
  await counted?.destroy()
  await fresh?.drop()
})

describe('wide schema builder', () => {
  it('counts what it builds', () => {
    expect(wideSchemaCounts({ tables: 5000 })).toEqual({
      tables: 5000,
      columns: 50_000,
      schemas: 10,
      foreignKeys: 1000,
      extraIndexes: 1250,
      identitySequences: 500,
      triggers: 10,
      comments: 50,
      enums: 3,
      auditNoteTables: 100,
    })
  })
})

describe('readSchemaModel at 5,000 tables', () => {
  it('reads every table and column in a handful of queries', async () => {
    // Nine set-based queries whatever the number of tables: never one per table.
    expect(modelQueries).toBeLessThanOrEqual(12)
    expect(modelQueries).toBe(9)
    expect(modelMs).toBeLessThan(20_000)

    expect(model.relations).toHaveLength(5000)
    expect(model.relations.every((r) => r.kind === 'table')).toBe(true)
    expect(model.relations.reduce((n, r) => n + r.columns.length, 0)).toBe(50_000)
    expect(model.schemas.map((s) => s.name).filter((s) => s.startsWith('wide_'))).toHaveLength(10)
    expect(model.relations.filter((r) => r.schema === 'wide_3')).toHaveLength(500)
    expect(model.relations.filter((r) => r.primaryKey !== null)).toHaveLength(5000)
    expect(model.relations.reduce((n, r) => n + r.foreignKeys.length, 0)).toBe(1000)
    expect(model.relations.reduce((n, r) => n + r.indexes.length, 0)).toBe(5000 + 1250)
    expect(model.relations.reduce((n, r) => n + r.triggers.length, 0)).toBe(10)
    expect(model.relations.filter((r) => r.comment !== null)).toHaveLength(50)
    expect(model.sequences).toHaveLength(500)
    expect(model.limitations).toEqual([])
    expect(model.enums.map((e) => [e.schema, e.name, e.values])).toEqual([
      ['wide_0', 'mood_0', ['calm', 'busy', 'k0']],
      ['wide_0', 'mood_1', ['calm', 'busy', 'k1']],
      ['wide_0', 'mood_2', ['calm', 'busy', 'k2']],
    ])
    // One enum column per table, two where the type rotation wraps (i mod 8 = 3, no foreign key).
    expect(model.enums.reduce((n, e) => n + e.usedBy.length, 0)).toBe(5000 + 500)
  })

  it('assembles each table completely', () => {
    const t = model.relations.find((r) => r.schema === 'wide_0' && r.name === name(20))!
    expect(t.columns.map((c) => [c.name, c.type, c.nullable, c.default])).toEqual([
      ['id', 'bigint', false, null],
      ['parent_id', 'bigint', true, null],
      ['c_3', 'jsonb', true, null],
      ['c_4', 'integer', true, null],
      ['c_5', 'text', true, null],
      ['c_6', 'timestamp with time zone', true, 'now()'],
      ['c_7', 'numeric(12,2)', true, null],
      ['c_8', 'boolean', true, 'false'],
      ['c_9', 'wide_0.mood_2', true, null],
      ['c_10', 'character varying(40)', true, null],
    ])
    expect(t.columns[0].identity).toBe('by_default')
    expect(t.foreignKeys).toEqual([
      expect.objectContaining({ columns: ['parent_id'], refSchema: 'wide_9', refTable: name(19), refColumns: ['id'], onDelete: 'NO ACTION' }),
    ])
    expect(t.indexes.map((i) => [i.name, i.columns, i.primary])).toEqual([
      ['ix_00020', ['parent_id'], false],
      [`${name(20)}_pkey`, ['id'], true],
    ])
    expect(model.sequences.find((s) => s.ownedBy?.table === name(20))).toMatchObject({ schema: 'wide_0', lastValue: null })
    const withTrigger = model.relations.find((r) => r.name === name(500))!
    expect(withTrigger.triggers).toEqual([expect.objectContaining({ name: 'touch', functionName: 'touch', enabled: 'O' })])
    expect(withTrigger.comment).toBe('wide table 500')
  })
})

describe('listRelations at 5,000 tables', () => {
  it('returns the first page and the total in one query', async () => {
    queries = 0
    const page = await listRelations(counted, {})
    expect(queries).toBe(1)
    expect(page.total).toBe(5000)
    expect(page.items).toHaveLength(50)
    // wide_0 holds the multiples of 10, in name order.
    expect(page.items.slice(0, 3).map((r) => [r.schema, r.name])).toEqual([
      ['wide_0', name(10)],
      ['wide_0', name(20)],
      ['wide_0', name(30)],
    ])
    expect(page.items[0]).toMatchObject({ kind: 'table', columnCount: 10, matchedColumns: [] })
    expect(page.items[0].totalBytes).toBeGreaterThan(0)
  })

  it('filters on a column name: exactly the tables having it', async () => {
    const page = await listRelations(fresh.db, { q: WIDE_MARKER_COLUMN, limit: 500 })
    const expected = Array.from({ length: 100 }, (_, k) => 50 * (k + 1))
    expect(page.total).toBe(100)
    expect(page.items.map((r) => `${r.schema}.${r.name}`).sort()).toEqual(
      expected.map((i) => `wide_${i % 10}.${name(i)}`).sort(),
    )
    expect(page.items.every((r) => r.matchedColumns.length === 1 && r.matchedColumns[0] === WIDE_MARKER_COLUMN)).toBe(true)
    // Case-insensitive, and `_` is literal: `audit%note` would match nothing.
    expect((await listRelations(fresh.db, { q: 'AUDIT_NOTE' })).total).toBe(100)
    expect((await listRelations(fresh.db, { q: 'audit%note' })).total).toBe(0)
  })

  it('filters by schema and pages to the end', async () => {
    const schema = await listRelations(fresh.db, { schema: 'wide_3', limit: 500 })
    expect(schema.total).toBe(500)
    expect(schema.items).toHaveLength(500)
    expect(schema.items.every((r) => r.schema === 'wide_3')).toBe(true)

    const last = await listRelations(fresh.db, { offset: 4990, limit: 50 })
    expect(last.total).toBe(5000)
    // The last ten: wide_9 holds 9, 19, … 4999.
    expect(last.items.map((r) => `${r.schema}.${r.name}`)).toEqual(Array.from({ length: 10 }, (_, k) => `wide_9.${name(4909 + 10 * k)}`))
    const beyond = await listRelations(fresh.db, { offset: 5000 })
    expect(beyond).toEqual({ total: 5000, items: [] })
    const beyondFiltered = await listRelations(fresh.db, { q: WIDE_MARKER_COLUMN, offset: 100 })
    expect(beyondFiltered).toEqual({ total: 100, items: [] })
  })

  it('sorts by size, largest first', async () => {
    await sql`insert into wide_1.t_00001 (id) select generate_series(1, 5000)`.execute(fresh.db)
    await sql`insert into wide_2.t_00002 (id) select generate_series(1, 300)`.execute(fresh.db)
    const page = await listRelations(fresh.db, { sort: 'size', limit: 3 })
    expect(page.total).toBe(5000)
    expect(page.items.slice(0, 2).map((r) => `${r.schema}.${r.name}`)).toEqual(['wide_1.t_00001', 'wide_2.t_00002'])
    const sizes = page.items.map((r) => r.totalBytes!)
    expect(sizes[0]).toBeGreaterThan(sizes[1])
    expect(sizes[1]).toBeGreaterThan(sizes[2])
    const [size] = (
      await sql<{ size: number }>`select pg_total_relation_size('wide_1.t_00001') as size`.execute(fresh.db)
    ).rows
    expect(sizes[0]).toBe(size.size)
  })
})
