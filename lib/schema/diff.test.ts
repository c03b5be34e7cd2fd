import { describe, expect, it } from 'vitest'
import { diffSnapshots, type SchemaChange } from './diff'
import { snapshotFingerprint, toSnapshot } from './snapshot'
import type { ColumnInfo, ConstraintInfo, IndexInfo, RelationInfo, SchemaModel } from './types'

const col = (name: string, position: number, type: string, over: Partial<ColumnInfo> = {}): ColumnInfo => ({
  name, position, type, typeSchema: 'pg_catalog', typeName: type, typeCategory: 'base',
  nullable: true, default: null, identity: null, generated: null, comment: null, ...over,
})
const rel = (schema: string, name: string, over: Partial<RelationInfo> = {}): RelationInfo => ({
  oid: 1, schema, name, kind: 'table', owner: 'dor', rowEstimate: 10, totalBytes: 1, tableBytes: 1, indexBytes: 0,
  comment: null, partitionOf: null, columns: [], primaryKey: null, constraints: [], foreignKeys: [], indexes: [], triggers: [],
  viewDefinition: null, ...over,
})
const check = (name: string, definition: string, validated = true): ConstraintInfo => ({ name, kind: 'check', columns: [], definition, validated, deferrable: false })
const idx = (name: string, definition: string, over: Partial<IndexInfo> = {}): IndexInfo => ({
  name, columns: [], definition, method: 'btree', unique: false, primary: false, valid: true, partial: false, sizeBytes: 8192, scans: 0, constraint: null, ...over,
})

const ODD = { schema: 'ünïcode schema', table: 'Order; DROP TABLE x;--', column: '"quoted"', label: '🙂' }

function model(): SchemaModel {
  return {
    database: 'dor', serverVersion: '16.4', limitations: [],
    schemas: ['public', ODD.schema].map((name) => ({ name, owner: 'dor', system: false })),
    relations: [
      rel('public', 'users', {
        columns: [
          col('id', 1, 'integer', { nullable: false, identity: 'by_default' }),
          col('role', 2, 'character varying(20)', { nullable: false, default: "'viewer'::character varying" }),
          col('total', 3, 'numeric'),
        ],
        primaryKey: { name: 'users_pkey', kind: 'primary_key', columns: ['id'], definition: 'PRIMARY KEY (id)', validated: true, deferrable: false },
        constraints: [check('users_total_check', 'CHECK ((total >= (0)::numeric)) NOT VALID', false)],
        indexes: [idx('users_role_idx', 'CREATE INDEX users_role_idx ON public.users USING btree (role)')],
        triggers: [{ name: 'users_touch', definition: 'CREATE TRIGGER users_touch BEFORE UPDATE ON public.users FOR EACH ROW EXECUTE FUNCTION touch()', enabled: 'O', functionName: 'touch' }],
      }),
      rel('public', 'orders', {
        columns: [col('id', 1, 'bigint', { nullable: false }), col('user_id', 2, 'integer')],
        foreignKeys: [{
          name: 'orders_user_id_fkey', schema: 'public', table: 'orders', columns: ['user_id'], refSchema: 'public', refTable: 'users', refColumns: ['id'],
          onDelete: 'NO ACTION', onUpdate: 'NO ACTION', deferrable: false, initiallyDeferred: false, validated: true,
          definition: 'FOREIGN KEY (user_id) REFERENCES public.users(id)',
        }],
      }),
      rel('public', 'active_users', { kind: 'view', viewDefinition: ' SELECT id FROM users;', columns: [col('id', 1, 'integer')] }),
      rel(ODD.schema, ODD.table, { columns: [col(ODD.column, 1, 'text')] }),
    ],
    enums: [
      { schema: 'public', name: 'status', values: ['draft', 'active', 'archived'], usedBy: [] },
      { schema: ODD.schema, name: ODD.label, values: ["it's", ODD.label], usedBy: [] },
    ],
    sequences: [{ schema: 'public', name: 'order_no', dataType: 'bigint', startValue: 1, minValue: 1, maxValue: 1000, increment: 1, cycle: false, lastValue: 5, usedShare: 0.005, ownedBy: null }],
  }
}

const table = (m: SchemaModel, schema: string, name: string) => m.relations.find((r) => r.schema === schema && r.name === name)!

/** The diff from model() to model() changed by `edit`; also checks the fingerprint agrees with the diff. */
function diffAfter(edit: (m: SchemaModel) => void) {
  const after = model()
  edit(after)
  const [a, b] = [toSnapshot(model()), toSnapshot(after)]
  const d = diffSnapshots(a, b)
  expect(snapshotFingerprint(a) === snapshotFingerprint(b)).toBe(d.changes.length === 0)
  return d
}
const changesAfter = (edit: (m: SchemaModel) => void) => diffAfter(edit).changes.map(({ before: _b, after: _a, ...c }) => c)

describe('diffSnapshots', () => {
  it('finds nothing between two catalog orders of the same schema', () => {
    const shuffled = model()
    shuffled.schemas.reverse()
    shuffled.relations.reverse()
    shuffled.enums.reverse()
    for (const r of shuffled.relations) Object.assign(r, { oid: 999, rowEstimate: null, owner: 'other', columns: [...r.columns].reverse() })
    expect(diffSnapshots(toSnapshot(model()), toSnapshot(shuffled))).toStrictEqual({ changes: [], summary: { added: 0, removed: 0, changed: 0 } })
  })

  it('does not report a column that only moved (dropped and re-added by down/up)', () => {
    expect(diffAfter((m) => { table(m, 'public', 'users').columns[1].position = 4 }).changes).toEqual([])
  })

  it('reports a column type change as old → new, with the columns before and after', () => {
    const d = diffAfter((m) => { Object.assign(table(m, 'public', 'users').columns[1], { type: 'userrole', default: null }) })
    expect(d.changes).toStrictEqual([{
      object: 'column', change: 'changed', schema: 'public', table: 'users', name: 'role',
      detail: "type character varying(20) → userrole; default 'viewer'::character varying → none",
      before: { name: 'role', position: 2, type: 'character varying(20)', nullable: false, default: "'viewer'::character varying", identity: null, generated: null, comment: null },
      after: { name: 'role', position: 2, type: 'userrole', nullable: false, default: null, identity: null, generated: null, comment: null },
    }])
    expect(d.summary).toEqual({ added: 0, removed: 0, changed: 1 })
  })

  it('reports nullability, identity, generated expression and comment changes', () => {
    const c = { object: 'column', change: 'changed', schema: 'public', table: 'users' }
    expect(changesAfter((m) => { table(m, 'public', 'users').columns[2].nullable = false })).toEqual([{ ...c, name: 'total', detail: 'nullable → NOT NULL' }])
    expect(changesAfter((m) => { table(m, 'public', 'users').columns[0].identity = 'always' })).toEqual([{ ...c, name: 'id', detail: 'identity BY DEFAULT → ALWAYS' }])
    expect(changesAfter((m) => { table(m, 'public', 'users').columns[2].generated = '(id * 2)' })).toEqual([{ ...c, name: 'total', detail: 'generated none → (id * 2)' }])
    expect(changesAfter((m) => { table(m, 'public', 'users').columns[2].comment = 'sum' })).toEqual([{ ...c, name: 'total', detail: 'comment added' }])
  })

  it('reports added and removed columns with their definition', () => {
    expect(changesAfter((m) => {
      const t = table(m, 'public', 'users')
      t.columns = t.columns.filter((x) => x.name !== 'total')
      t.columns.push(col('created_at', 5, 'timestamp with time zone', { nullable: false, default: 'now()' }))
    })).toEqual([
      { object: 'column', change: 'added', schema: 'public', table: 'users', name: 'created_at', detail: 'timestamp with time zone NOT NULL default now()' },
      { object: 'column', change: 'removed', schema: 'public', table: 'users', name: 'total', detail: 'numeric' },
    ])
  })

  it('reports validation of a NOT VALID constraint, a changed check and a new one', () => {
    const at = { object: 'constraint', schema: 'public', table: 'users', name: 'users_total_check' }
    expect(changesAfter((m) => {
      table(m, 'public', 'users').constraints = [check('users_total_check', 'CHECK ((total >= (0)::numeric))')]
    })).toEqual([{ ...at, change: 'changed', detail: 'NOT VALID → validated' }])
    expect(changesAfter((m) => {
      table(m, 'public', 'users').constraints = [check('users_total_check', 'CHECK ((total > (0)::numeric)) NOT VALID', false)]
    })).toEqual([{ ...at, change: 'changed', detail: 'CHECK ((total >= (0)::numeric)) → CHECK ((total > (0)::numeric))' }])
    expect(changesAfter((m) => { table(m, 'public', 'users').constraints.push(check('users_id_check', 'CHECK ((id > 0))')) })).toEqual([
      { ...at, change: 'added', name: 'users_id_check', detail: 'CHECK ((id > 0))' },
    ])
  })

  it('reports a dropped primary key as a removed constraint', () => {
    expect(changesAfter((m) => { table(m, 'public', 'users').primaryKey = null })).toEqual([
      { object: 'constraint', change: 'removed', schema: 'public', table: 'users', name: 'users_pkey', detail: 'PRIMARY KEY (id)' },
    ])
  })

  it('reports foreign key action, target and validity changes', () => {
    const at = { object: 'foreign_key', change: 'changed', schema: 'public', table: 'orders', name: 'orders_user_id_fkey' }
    const fk = (m: SchemaModel) => table(m, 'public', 'orders').foreignKeys[0]
    expect(changesAfter((m) => {
      Object.assign(fk(m), { onDelete: 'CASCADE', definition: 'FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE' })
    })).toEqual([{ ...at, detail: 'ON DELETE NO ACTION → CASCADE' }])
    expect(changesAfter((m) => {
      Object.assign(fk(m), { refSchema: ODD.schema, refTable: ODD.table, validated: false, deferrable: true, definition: 'x' })
    })).toEqual([{
      ...at,
      detail: `(user_id) references public.users(id) → (user_id) references ${ODD.schema}.${ODD.table}(id); NOT DEFERRABLE → DEFERRABLE INITIALLY IMMEDIATE; validated → NOT VALID`,
    }])
    expect(changesAfter((m) => { fk(m).definition = 'FOREIGN KEY (user_id) REFERENCES public.users(id) MATCH FULL' })).toEqual([
      { ...at, detail: 'FOREIGN KEY (user_id) REFERENCES public.users(id) → FOREIGN KEY (user_id) REFERENCES public.users(id) MATCH FULL' },
    ])
  })

  it('reports index definition and validity changes, and added indexes', () => {
    const at = { object: 'index', schema: 'public', table: 'users', name: 'users_role_idx' }
    const def = 'CREATE INDEX users_role_idx ON public.users USING btree (role)'
    expect(changesAfter((m) => { table(m, 'public', 'users').indexes[0].definition = def.replace('(role)', '(lower((role)::text))') })).toEqual([
      { ...at, change: 'changed', detail: `${def} → ${def.replace('(role)', '(lower((role)::text))')}` },
    ])
    expect(changesAfter((m) => { table(m, 'public', 'users').indexes[0].valid = false })).toEqual([{ ...at, change: 'changed', detail: 'valid → INVALID' }])
    expect(changesAfter((m) => { table(m, 'public', 'orders').indexes.push(idx('orders_user_idx', 'CREATE INDEX orders_user_idx ON public.orders USING btree (user_id)', { valid: false })) })).toEqual([
      { object: 'index', change: 'added', schema: 'public', table: 'orders', name: 'orders_user_idx', detail: 'CREATE INDEX orders_user_idx ON public.orders USING btree (user_id) (INVALID)' },
    ])
  })

  it('reports a disabled trigger and a removed one', () => {
    const at = { object: 'trigger', schema: 'public', table: 'users', name: 'users_touch' }
    expect(changesAfter((m) => { table(m, 'public', 'users').triggers[0].enabled = 'D' })).toEqual([{ ...at, change: 'changed', detail: 'enabled → disabled' }])
    expect(changesAfter((m) => { table(m, 'public', 'users').triggers = [] })).toEqual([
      { ...at, change: 'removed', detail: 'CREATE TRIGGER users_touch BEFORE UPDATE ON public.users FOR EACH ROW EXECUTE FUNCTION touch()' },
    ])
  })

  it('reports tables and views added and removed, and a table that became a view as changed', () => {
    expect(changesAfter((m) => {
      m.relations = m.relations.filter((r) => r.name !== 'active_users')
      m.relations.push(rel('public', 'audit', { columns: [col('id', 1, 'bigint')] }))
    })).toEqual([
      { object: 'table', change: 'added', schema: 'public', name: 'audit', detail: 'table, 1 column' },
      { object: 'view', change: 'removed', schema: 'public', name: 'active_users', detail: 'view, 1 column' },
    ])
    const d = diffAfter((m) => {
      Object.assign(table(m, 'public', 'orders'), { kind: 'view', viewDefinition: ' SELECT 1 AS id, 2 AS user_id;', foreignKeys: [] })
    })
    expect(d.changes.map(({ before: _b, after: _a, ...c }) => c)).toEqual([
      { object: 'view', change: 'changed', schema: 'public', name: 'orders', detail: 'kind table → view; definition added' },
      { object: 'foreign_key', change: 'removed', schema: 'public', table: 'orders', name: 'orders_user_id_fkey', detail: 'FOREIGN KEY (user_id) REFERENCES public.users(id)' },
    ])
    // The table's own line carries its header only; its columns are compared line by line.
    expect(d.changes[0].after).toStrictEqual({ schema: 'public', name: 'orders', kind: 'view', comment: null, partitionOf: null, viewDefinition: ' SELECT 1 AS id, 2 AS user_id;' })
  })

  it('reports view definition, partition parent and table comment changes', () => {
    expect(changesAfter((m) => {
      table(m, 'public', 'active_users').viewDefinition = ' SELECT id FROM users WHERE true;'
      Object.assign(table(m, 'public', 'users'), { partitionOf: { schema: 'public', name: 'people' }, comment: 'who' })
    })).toEqual([
      { object: 'table', change: 'changed', schema: 'public', name: 'users', detail: 'partition of none → public.people; comment added' },
      { object: 'view', change: 'changed', schema: 'public', name: 'active_users', detail: 'definition changed' },
    ])
  })

  it('reports enum values added and removed, and reordering only when shared labels change order', () => {
    const at = { schema: 'public', name: 'status' }
    const setValues = (values: string[]) => (m: SchemaModel) => { m.enums[0].values = values }
    expect(diffAfter(setValues(['draft', 'pending', 'active', 'archived', 'gone'])).changes).toStrictEqual([
      { object: 'enum_value', change: 'added', ...at, detail: "value 'gone' added", after: 'gone' },
      { object: 'enum_value', change: 'added', ...at, detail: "value 'pending' added", after: 'pending' },
    ])
    expect(diffAfter(setValues(['draft', 'active'])).changes).toStrictEqual([
      { object: 'enum_value', change: 'removed', ...at, detail: "value 'archived' removed", before: 'archived' },
    ])
    expect(diffAfter(setValues(['active', 'draft', 'archived'])).changes).toStrictEqual([
      { object: 'enum', change: 'changed', ...at, detail: 'labels reordered', before: ['draft', 'active', 'archived'], after: ['active', 'draft', 'archived'] },
    ])
  })

  it('reports whole enums and sequences added, removed and changed', () => {
    expect(changesAfter((m) => {
      m.enums = m.enums.filter((e) => e.name !== 'status')
      m.enums.push({ schema: 'public', name: 'mood', values: ['ok', 'sad'], usedBy: [] })
      Object.assign(m.sequences[0], { increment: 10, cycle: true, ownedBy: { schema: 'public', table: 'orders', column: 'id' }, lastValue: 900 })
      m.sequences.push({ ...m.sequences[0], name: 'ticket_no', startValue: 100, increment: 1, cycle: false, ownedBy: null })
    })).toEqual([
      { object: 'enum', change: 'added', schema: 'public', name: 'mood', detail: "values 'ok', 'sad'" },
      { object: 'enum', change: 'removed', schema: 'public', name: 'status', detail: "values 'draft', 'active', 'archived'" },
      { object: 'sequence', change: 'changed', schema: 'public', name: 'order_no', detail: 'increment 1 → 10; NO CYCLE → CYCLE; owned by none → public.orders.id' },
      { object: 'sequence', change: 'added', schema: 'public', name: 'ticket_no', detail: 'bigint start 100 increment 1' },
    ])
  })

  it('reports a dropped schema and everything in it, sorted by schema, table, object and name', () => {
    const d = diffAfter((m) => {
      m.schemas = m.schemas.filter((s) => s.name !== ODD.schema)
      m.relations = m.relations.filter((r) => r.schema !== ODD.schema)
      m.enums = m.enums.filter((e) => e.schema !== ODD.schema)
      table(m, 'public', 'users').columns[2].type = 'bigint'
      m.sequences[0].maxValue = 2000
    })
    expect(d.changes.map(({ before: _b, after: _a, ...c }) => c)).toEqual([
      { object: 'sequence', change: 'changed', schema: 'public', name: 'order_no', detail: 'max 1000 → 2000' },
      { object: 'column', change: 'changed', schema: 'public', table: 'users', name: 'total', detail: 'type numeric → bigint' },
      { object: 'schema', change: 'removed', schema: ODD.schema, name: ODD.schema, detail: 'schema' },
      { object: 'table', change: 'removed', schema: ODD.schema, name: ODD.table, detail: 'table, 1 column' },
      { object: 'enum', change: 'removed', schema: ODD.schema, name: ODD.label, detail: `values 'it's', '${ODD.label}'` },
    ])
    expect(d.summary).toEqual({ added: 0, removed: 3, changed: 2 })
  })

  it('keeps odd names verbatim in every field', () => {
    const changes: SchemaChange[] = diffAfter((m) => {
      const t = table(m, ODD.schema, ODD.table)
      t.columns[0].type = ODD.label
      t.columns.push(col(`${ODD.column}; DROP`, 2, 'text'))
      m.enums[1].values.push(`${ODD.label} "${ODD.table}"`)
    }).changes
    // Schema-level objects (no table) come before the objects of each table.
    expect(changes.map(({ before: _b, after: _a, ...c }) => c)).toEqual([
      { object: 'enum_value', change: 'added', schema: ODD.schema, name: ODD.label, detail: `value '🙂 "Order; DROP TABLE x;--"' added` },
      { object: 'column', change: 'changed', schema: ODD.schema, table: ODD.table, name: ODD.column, detail: `type text → ${ODD.label}` },
      { object: 'column', change: 'added', schema: ODD.schema, table: ODD.table, name: '"quoted"; DROP', detail: 'text' },
    ])
  })

  it('compares snapshots, not models: the same snapshot against itself is empty', () => {
    const s = toSnapshot(model())
    expect(diffSnapshots(s, JSON.parse(JSON.stringify(s))).changes).toEqual([])
  })
})
