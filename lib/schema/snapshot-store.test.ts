import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as migration from '../../db/migrations/20261127_000002_schema_snapshots'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { migrateStateDb } from '../state/migrate-state'
import { type SchemaSnapshot, snapshotFingerprint } from './snapshot'
import { getSnapshot, listSnapshots, saveSnapshot } from './snapshot-store'

// Odd names and an int8 maximum that a double cannot hold exactly: both must survive jsonb unchanged.
const first: SchemaSnapshot = {
  version: 1,
  schemas: ['public', 'ünïcode schema'],
  relations: [
    {
      schema: 'ünïcode schema',
      name: 'Order; DROP TABLE x;--',
      kind: 'table',
      comment: 'it\'s "quoted" 🙂',
      partitionOf: null,
      viewDefinition: null,
      columns: [{ name: '"quoted"', position: 3, type: 'text', nullable: false, default: "'🙂'::text", identity: null, generated: null, comment: null }],
      constraints: [{ name: 'c', kind: 'check', definition: 'CHECK (("\\"quoted\\"" <> \'\'::text)) NOT VALID', validated: false }],
      foreignKeys: [],
      indexes: [{ name: 'i', definition: 'CREATE INDEX i ON x USING btree (a)', valid: true, constraint: null }],
      triggers: [],
    },
  ],
  enums: [{ schema: 'public', name: 'status', values: ['draft', 'active', '🙂'] }],
  sequences: [
    { schema: 'public', name: 's', dataType: 'bigint', startValue: 1, minValue: 1, maxValue: 9223372036854775807, increment: 1, cycle: false, ownedBy: null },
  ],
}
const second: SchemaSnapshot = { ...first, enums: [{ schema: 'public', name: 'status', values: ['draft', 'active'] }] }

let fresh: FreshDatabase
const HERE = '7000000000000000001/dor'
const THERE = '7000000000000000002/dor'

beforeAll(async () => {
  fresh = await freshDatabase('snap')
  await migrateStateDb(fresh.db)
})

afterAll(async () => {
  await fresh?.drop()
})

describe('snapshot store', () => {
  const ids: number[] = []

  it('saves a snapshot with its fingerprint and counts', async () => {
    const meta = await saveSnapshot(fresh.db, { snapshot: first, database: 'dor', targetKey: HERE, reason: 'before migration run', takenBy: 'migration run' })
    expect(meta).toStrictEqual({
      id: expect.any(Number),
      takenAt: expect.any(Date),
      takenById: null,
      takenBy: 'migration run',
      reason: 'before migration run',
      database: 'dor',
      targetKey: HERE,
      fingerprint: snapshotFingerprint(first),
      summary: { schemas: 2, tables: 1, views: 0, materializedViews: 0, columns: 1, constraints: 1, foreignKeys: 0, indexes: 1, triggers: 0, enums: 1, sequences: 1 },
    })
    expect(Date.now() - meta.takenAt.getTime()).toBeLessThan(60_000)
    ids.push(meta.id)

    const userId = '2f9c1c2e-5d1e-4f8a-9c61-1a2b3c4d5e6f'
    const other = await saveSnapshot(fresh.db, { snapshot: second, database: 'dor', targetKey: HERE, reason: 'manual', takenById: userId, takenBy: 'admin@test.local' })
    expect(other).toMatchObject({ takenById: userId, takenBy: 'admin@test.local', reason: 'manual', fingerprint: snapshotFingerprint(second) })
    expect(other.fingerprint).not.toBe(meta.fingerprint)
    expect(other.id).toBeGreaterThan(meta.id)
    ids.push(other.id)
  })

  it('lists newest first, without bodies, pages by id, and only the snapshots of one target', async () => {
    const third = await saveSnapshot(fresh.db, { snapshot: first, database: 'dor', targetKey: HERE, reason: 'manual', takenBy: 'cli' })
    ids.push(third.id)
    // Another server's database of the same name, sharing this state database.
    const elsewhere = await saveSnapshot(fresh.db, { snapshot: first, database: 'dor', targetKey: THERE, reason: 'manual', takenBy: 'cli' })
    const all = await listSnapshots(fresh.db, { targetKey: HERE })
    expect(all.map((m) => m.id)).toEqual([ids[2], ids[1], ids[0]])
    expect(Object.keys(all[0]).sort()).toEqual(['database', 'fingerprint', 'id', 'reason', 'summary', 'takenAt', 'takenBy', 'takenById', 'targetKey'])
    // Equal schemas share a fingerprint: that is how drift is ruled out.
    expect(all[0].fingerprint).toBe(all[2].fingerprint)
    expect((await listSnapshots(fresh.db, { targetKey: THERE })).map((m) => m.id)).toEqual([elsewhere.id])

    const page1 = await listSnapshots(fresh.db, { targetKey: HERE, limit: 2 })
    expect(page1.map((m) => m.id)).toEqual([ids[2], ids[1]])
    const page2 = await listSnapshots(fresh.db, { targetKey: HERE, limit: 2, beforeId: page1[1].id })
    expect(page2.map((m) => m.id)).toEqual([ids[0]])
    expect(await listSnapshots(fresh.db, { targetKey: HERE, beforeId: ids[0] })).toEqual([])
    ids.push(elsewhere.id)
  })

  it('gives a snapshot back deep-equal, with the same fingerprint', async () => {
    const got = await getSnapshot(fresh.db, ids[0])
    expect(got).not.toBeNull()
    expect(got!.snapshot).toStrictEqual(first)
    expect(snapshotFingerprint(got!.snapshot)).toBe(got!.meta.fingerprint)
    expect(got!.meta).toStrictEqual((await listSnapshots(fresh.db, { targetKey: HERE })).find((m) => m.id === ids[0]))
  })

  it('returns null for an unknown or malformed id', async () => {
    expect(await getSnapshot(fresh.db, ids[3] + 1000)).toBeNull()
    expect(await getSnapshot(fresh.db, 0)).toBeNull()
    expect(await getSnapshot(fresh.db, 1.5)).toBeNull()
    expect(await getSnapshot(fresh.db, Number.NaN)).toBeNull()
  })

  it('is removed by the migration down, and recreated by up', async () => {
    // Called directly, not through the Migrator, so that a later state migration does not change what is tested.
    const exists = async () => (await sql<{ t: string | null }>`select to_regclass('public.schema_snapshot')::text as t`.execute(fresh.db)).rows[0].t
    await migration.down(fresh.db)
    expect(await exists()).toBeNull()
    await migration.up(fresh.db)
    expect(await exists()).toBe('schema_snapshot')
    expect((await sql<{ n: number }>`select count(*)::int as n from schema_snapshot`.execute(fresh.db)).rows[0].n).toBe(0)
  })
})
