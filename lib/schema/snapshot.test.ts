import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { canonicalJson, type SchemaSnapshot, snapshotFingerprint, summarizeSnapshot, toSnapshot } from './snapshot'
import type { ColumnInfo, RelationInfo, SchemaModel } from './types'

const col = (name: string, position: number, type: string, over: Partial<ColumnInfo> = {}): ColumnInfo => ({
  name,
  position,
  type,
  typeSchema: 'pg_catalog',
  typeName: type,
  typeCategory: 'base',
  nullable: true,
  default: null,
  identity: null,
  generated: null,
  comment: null,
  ...over,
})

const rel = (schema: string, name: string, over: Partial<RelationInfo> = {}): RelationInfo => ({
  oid: 16384,
  schema,
  name,
  kind: 'table',
  owner: 'dor',
  rowEstimate: 1200,
  totalBytes: 81920,
  tableBytes: 40960,
  indexBytes: 40960,
  comment: null,
  partitionOf: null,
  columns: [],
  primaryKey: null,
  constraints: [],
  foreignKeys: [],
  indexes: [],
  triggers: [],
  viewDefinition: null,
  ...over,
})

function model(): SchemaModel {
  return {
    database: 'dor',
    serverVersion: '16.4',
    limitations: ['sizes'],
    schemas: [
      { name: 'public', owner: 'postgres', system: false },
      { name: 'app', owner: 'dor', system: false },
    ],
    relations: [
      rel('public', 'users', {
        comment: 'people',
        columns: [col('id', 1, 'integer', { nullable: false, identity: 'always' }), col('email', 2, 'text', { nullable: false })],
        primaryKey: { name: 'users_pkey', kind: 'primary_key', columns: ['id'], definition: 'PRIMARY KEY (id)', validated: true, deferrable: false },
        constraints: [
          { name: 'users_email_key', kind: 'unique', columns: ['email'], definition: 'UNIQUE (email)', validated: true, deferrable: false },
          { name: 'users_email_check', kind: 'check', columns: ['email'], definition: "CHECK ((email <> ''::text)) NOT VALID", validated: false, deferrable: false },
        ],
        indexes: [
          { name: 'users_pkey', columns: ['id'], definition: 'CREATE UNIQUE INDEX users_pkey ON public.users USING btree (id)', method: 'btree', unique: true, primary: true, valid: true, partial: false, sizeBytes: 8192, scans: 42, constraint: 'users_pkey' },
          { name: 'users_email_key', columns: ['email'], definition: 'CREATE UNIQUE INDEX users_email_key ON public.users USING btree (email)', method: 'btree', unique: true, primary: false, valid: true, partial: false, sizeBytes: 8192, scans: 3, constraint: 'users_email_key' },
        ],
        triggers: [{ name: 'users_touch', definition: 'CREATE TRIGGER users_touch BEFORE UPDATE ON public.users FOR EACH ROW EXECUTE FUNCTION touch()', enabled: 'O', functionName: 'touch' }],
      }),
      rel('app', 'orders', {
        oid: 16400,
        columns: [col('user_id', 2, 'integer'), col('id', 1, 'bigint', { nullable: false })],
        foreignKeys: [
          {
            name: 'orders_user_fk', schema: 'app', table: 'orders', columns: ['user_id', 'id'], refSchema: 'public', refTable: 'users', refColumns: ['id', 'email'],
            onDelete: 'CASCADE', onUpdate: 'NO ACTION', deferrable: false, initiallyDeferred: false, validated: true,
            definition: 'FOREIGN KEY (user_id, id) REFERENCES public.users(id, email) ON DELETE CASCADE',
          },
        ],
      }),
    ],
    enums: [{ schema: 'public', name: 'status', values: ['zeta', 'alpha', 'mid'], usedBy: [{ schema: 'app', table: 'orders', column: 'status' }] }],
    sequences: [
      { schema: 'public', name: 'seq', dataType: 'bigint', startValue: 1, minValue: 1, maxValue: 9223372036854775807, increment: 1, cycle: false, lastValue: 77, usedShare: 0.01, ownedBy: null },
    ],
  }
}

/** The same schema as the catalog might return it on another day: other order, oids, sizes and counters. */
function shuffled(): SchemaModel {
  const m = model()
  m.schemas.reverse()
  m.relations.reverse()
  for (const r of m.relations) {
    r.oid += 1000
    r.owner = 'someone_else'
    r.rowEstimate = null
    r.totalBytes = r.tableBytes = r.indexBytes = null
    r.columns.reverse()
    r.constraints.reverse()
    r.indexes.reverse()
    for (const i of r.indexes) Object.assign(i, { sizeBytes: 1, scans: 99999 })
  }
  m.sequences[0].lastValue = 500
  m.sequences[0].usedShare = 0.5
  m.enums[0].usedBy = []
  m.limitations = []
  m.serverVersion = '17.0'
  return m
}

describe('toSnapshot', () => {
  it('keeps only what a migration defines, sorted by name, primary key among the constraints', () => {
    const s = toSnapshot(model())
    expect(s.version).toBe(1)
    expect(s.schemas).toEqual(['app', 'public'])
    expect(s.relations.map((r) => `${r.schema}.${r.name}`)).toEqual(['app.orders', 'public.users'])
    expect(s.relations[1]).toStrictEqual({
      schema: 'public',
      name: 'users',
      kind: 'table',
      comment: 'people',
      partitionOf: null,
      viewDefinition: null,
      columns: [
        { name: 'email', position: 2, type: 'text', nullable: false, default: null, identity: null, generated: null, comment: null },
        { name: 'id', position: 1, type: 'integer', nullable: false, default: null, identity: 'always', generated: null, comment: null },
      ],
      constraints: [
        { name: 'users_email_check', kind: 'check', definition: "CHECK ((email <> ''::text)) NOT VALID", validated: false },
        { name: 'users_email_key', kind: 'unique', definition: 'UNIQUE (email)', validated: true },
        { name: 'users_pkey', kind: 'primary_key', definition: 'PRIMARY KEY (id)', validated: true },
      ],
      foreignKeys: [],
      indexes: [
        { name: 'users_email_key', definition: 'CREATE UNIQUE INDEX users_email_key ON public.users USING btree (email)', valid: true, constraint: 'users_email_key' },
        { name: 'users_pkey', definition: 'CREATE UNIQUE INDEX users_pkey ON public.users USING btree (id)', valid: true, constraint: 'users_pkey' },
      ],
      triggers: [{ name: 'users_touch', definition: 'CREATE TRIGGER users_touch BEFORE UPDATE ON public.users FOR EACH ROW EXECUTE FUNCTION touch()', enabled: 'O' }],
    })
    expect(s.enums).toStrictEqual([{ schema: 'public', name: 'status', values: ['zeta', 'alpha', 'mid'] }])
    expect(s.sequences).toStrictEqual([
      { schema: 'public', name: 'seq', dataType: 'bigint', startValue: 1, minValue: 1, maxValue: 9223372036854775807, increment: 1, cycle: false, ownedBy: null },
    ])
  })

  it('keeps the order of enum labels and of foreign key columns: that order has meaning', () => {
    const s = toSnapshot(model())
    expect(s.relations[0].foreignKeys[0]).toMatchObject({ columns: ['user_id', 'id'], refColumns: ['id', 'email'] })
    expect(s.enums[0].values).toEqual(['zeta', 'alpha', 'mid'])
  })

  it('gives the same snapshot and fingerprint whatever the catalog order and volatile values', () => {
    expect(toSnapshot(shuffled())).toStrictEqual(toSnapshot(model()))
    expect(snapshotFingerprint(toSnapshot(shuffled()))).toBe(snapshotFingerprint(toSnapshot(model())))
  })

  it('does not share arrays with the model it was made from', () => {
    const m = model()
    const s = toSnapshot(m)
    m.enums[0].values.push('late')
    m.relations[1].foreignKeys[0].columns.push('x')
    expect(s.enums[0].values).toEqual(['zeta', 'alpha', 'mid'])
    expect(s.relations[0].foreignKeys[0].columns).toEqual(['user_id', 'id'])
  })

  it('passes odd names through verbatim and sorts them by code unit', () => {
    const m = model()
    m.schemas = ['ünïcode schema', '"quoted"', 'Order; DROP TABLE x;--', '🙂', 'Zed'].map((name) => ({ name, owner: 'x', system: false }))
    m.relations = [rel('🙂', '"quoted"', { columns: [col('Order; DROP TABLE x;--', 1, 'text'), col('ünïcode', 2, 'text')] })]
    const s = toSnapshot(m)
    expect(s.schemas).toEqual(['"quoted"', 'Order; DROP TABLE x;--', 'Zed', 'ünïcode schema', '🙂'])
    expect(s.relations[0].schema).toBe('🙂')
    expect(s.relations[0].name).toBe('"quoted"')
    expect(s.relations[0].columns.map((c) => c.name)).toEqual(['Order; DROP TABLE x;--', 'ünïcode'])
  })
})

describe('snapshotFingerprint', () => {
  const empty: SchemaSnapshot = { version: 1, schemas: ['public'], relations: [], enums: [], sequences: [] }

  it('is the sha256 of the key-sorted JSON', () => {
    const expected = createHash('sha256').update('{"enums":[],"relations":[],"schemas":["public"],"sequences":[],"version":1}').digest('hex')
    expect(snapshotFingerprint(empty)).toBe(expected)
    expect(snapshotFingerprint(empty)).toMatch(/^[0-9a-f]{64}$/)
  })

  it('ignores object key order, as jsonb gives it back', () => {
    const s = toSnapshot(model())
    const reverseKeys = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(reverseKeys) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reverseKeys(x)])) : v
    const reordered = reverseKeys(JSON.parse(JSON.stringify(s))) as SchemaSnapshot
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(s))
    expect(snapshotFingerprint(reordered)).toBe(snapshotFingerprint(s))
  })

  it('ignores column positions but not column types, enum label order or validity', () => {
    const base = snapshotFingerprint(toSnapshot(model()))
    const moved = model()
    moved.relations[0].columns[1].position = 7
    expect(toSnapshot(moved)).not.toEqual(toSnapshot(model()))
    expect(snapshotFingerprint(toSnapshot(moved))).toBe(base)

    const retyped = model()
    retyped.relations[0].columns[1].type = 'bigint'
    expect(snapshotFingerprint(toSnapshot(retyped))).not.toBe(base)
    const reordered = model()
    reordered.enums[0].values = ['alpha', 'zeta', 'mid']
    expect(snapshotFingerprint(toSnapshot(reordered))).not.toBe(base)
    const validated = model()
    validated.relations[0].constraints[1].validated = true
    expect(snapshotFingerprint(toSnapshot(validated))).not.toBe(base)
  })
})

describe('canonicalJson', () => {
  it('sorts keys at every level, keeps array order and drops undefined properties', () => {
    expect(canonicalJson({ b: [3, 1, { z: 1, a: null }], a: 'x', u: undefined })).toBe('{"a":"x","b":[3,1,{"a":null,"z":1}]}')
  })
})

describe('summarizeSnapshot', () => {
  it('counts every kind of object', () => {
    const m = model()
    m.relations.push(rel('public', 'v', { kind: 'view', viewDefinition: 'SELECT 1', columns: [col('one', 1, 'integer')] }))
    m.relations.push(rel('public', 'mv', { kind: 'materialized_view', viewDefinition: 'SELECT 1' }))
    m.relations.push(rel('public', 'parted', { kind: 'partitioned_table' }))
    expect(summarizeSnapshot(toSnapshot(m))).toStrictEqual({
      schemas: 2,
      tables: 3,
      views: 1,
      materializedViews: 1,
      columns: 5,
      constraints: 3,
      foreignKeys: 1,
      indexes: 2,
      triggers: 1,
      enums: 1,
      sequences: 1,
    })
  })
})
