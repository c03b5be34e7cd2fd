import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { readSchemaModel } from './catalog'
import { deleteImpact, readForeignKeyGraph } from './delete-impact'
import { createOddNames, ODD } from './odd-names-fixture'
import { PREVIEW_MAX_CHARS, previewRows } from './preview'
import { readRelationDetail } from './relation-detail'
import { schemaToJson } from './schema-json'
import { catalogDdl, tableDdl } from './table-ddl'
import type { RelationInfo } from './types'

/** The data behind a table page: detail, delete impact, preview, DDL, and the CLI's JSON. */

const PG_BIN_DIR = '/usr/lib/postgresql/15/bin'
let fresh: FreshDatabase

beforeAll(async () => {
  fresh = await freshDatabase('tablepage')
  await createOddNames(fresh.db)
  await sql`create schema impact`.execute(fresh.db)
  for (const ddl of [
    sql`create table impact.parent (id int primary key)`,
    sql`create table impact.child (id int primary key,
          parent_id int constraint child_parent references impact.parent on delete cascade)`,
    sql`create table impact.grandchild (id int primary key,
          child_id int constraint grandchild_child references impact.child on delete cascade)`,
    sql`create table impact.other (parent_id int constraint other_parent references impact.parent on delete set null)`,
    sql`create table impact.blocker (parent_id int constraint blocker_parent references impact.parent)`,
    sql`create table impact.a (id int primary key, b_id int)`,
    sql`create table impact.b (id int primary key, a_id int constraint b_a references impact.a on delete cascade)`,
    sql`alter table impact.a add constraint a_b foreign key (b_id) references impact.b on delete cascade`,
    sql`create table impact.node (id int primary key, parent_id int constraint node_parent references impact.node)`,
    sql`create table public."Mixed" (upper_one int)`,
    sql`create table public.mixed (lower_one int)`,
    sql`create table public.preview_me (note text, blob bytea, password text, token_hash text, id int primary key, n int)`,
    sql`insert into public.preview_me (id, note, blob, password, token_hash) values
          (3, repeat('x', ${PREVIEW_MAX_CHARS + 1}), null, null, null),
          (1, 'short', '\\x000102'::bytea, 'hunter2', 'abc123'),
          (2, repeat('y', ${PREVIEW_MAX_CHARS}), ''::bytea, null, 'def')`,
    sql`insert into ${sql.id(ODD.schema, ODD.table)} (${sql.id(ODD.column)}, mood, moods) values (12.5, 'happy', '{sad,happy}')`,
  ]) {
    await ddl.execute(fresh.db)
  }
})
afterAll(() => fresh?.drop())

async function relation(schema: string, name: string): Promise<RelationInfo> {
  const detail = await readRelationDetail(fresh.db, schema, name)
  if (!detail) throw new Error(`no relation ${schema}.${name}`)
  return detail.relation
}

describe('readRelationDetail', () => {
  it('lists the foreign keys pointing at a table', async () => {
    const detail = (await readRelationDetail(fresh.db, 'impact', 'parent'))!
    expect(detail.relation.columns.map((c) => c.name)).toEqual(['id'])
    expect(detail.incoming.map((fk) => [fk.table, fk.name, fk.columns, fk.refColumns, fk.onDelete]).sort()).toEqual([
      ['blocker', 'blocker_parent', ['parent_id'], ['id'], 'NO ACTION'],
      ['child', 'child_parent', ['parent_id'], ['id'], 'CASCADE'],
      ['other', 'other_parent', ['parent_id'], ['id'], 'SET NULL'],
    ])
  })

  it('counts a self-reference once, as outgoing and incoming', async () => {
    const detail = (await readRelationDetail(fresh.db, 'impact', 'node'))!
    expect(detail.relation.foreignKeys.map((fk) => fk.name)).toEqual(['node_parent'])
    expect(detail.incoming.map((fk) => [fk.schema, fk.table, fk.name])).toEqual([['impact', 'node', 'node_parent']])
  })

  it('finds odd names exactly, with their incoming keys', async () => {
    const detail = (await readRelationDetail(fresh.db, ODD.schema, ODD.table))!
    expect(detail.relation.name).toBe(ODD.table)
    expect(detail.incoming.map((fk) => [fk.schema, fk.table, fk.onDelete])).toEqual([[ODD.schema, ODD.quoted, 'CASCADE']])
  })

  it('returns null for unknown names and keeps names differing by case apart', async () => {
    expect(await readRelationDetail(fresh.db, 'public', 'nope')).toBeNull()
    expect(await readRelationDetail(fresh.db, 'nope', 'parent')).toBeNull()
    expect((await relation('public', 'Mixed')).columns.map((c) => c.name)).toEqual(['upper_one'])
    expect((await relation('public', 'mixed')).columns.map((c) => c.name)).toEqual(['lower_one'])
    expect(await readRelationDetail(fresh.db, 'public', 'MIXED')).toBeNull()
    expect(await readRelationDetail(fresh.db, 'IMPACT', 'parent')).toBeNull()
  })
})

describe('deleteImpact', () => {
  /** An impact node in schema `impact` reached through a one-column key `table.column` named `via`. */
  const node = (
    [table, column]: [string, string],
    via: string,
    [onDelete, effect]: [string, string],
    children: unknown[] = [],
    cycle = false,
  ) => ({ schema: 'impact', table, via, columns: [column], onDelete, effect, cycle, repeated: false, children })
  const CASCADE: [string, string] = ['CASCADE', 'deletes']

  it('follows cascades and stops at SET NULL and NO ACTION', async () => {
    const edges = await readForeignKeyGraph(fresh.db)
    expect(deleteImpact(edges, 'impact', 'parent')).toEqual([
      node(['blocker', 'parent_id'], 'blocker_parent', ['NO ACTION', 'blocks']),
      node(['child', 'parent_id'], 'child_parent', CASCADE, [node(['grandchild', 'child_id'], 'grandchild_child', CASCADE)]),
      node(['other', 'parent_id'], 'other_parent', ['SET NULL', 'sets_null']),
    ])
    expect(deleteImpact(edges, 'impact', 'grandchild')).toEqual([])
  })

  it('marks a cascade cycle once instead of looping', async () => {
    const edges = await readForeignKeyGraph(fresh.db)
    expect(deleteImpact(edges, 'impact', 'a')).toEqual([
      node(['b', 'a_id'], 'b_a', CASCADE, [node(['a', 'b_id'], 'a_b', CASCADE, [], true)]),
    ])
    // A self-reference without cascade blocks the delete of referenced rows.
    expect(deleteImpact(edges, 'impact', 'node')).toEqual([node(['node', 'parent_id'], 'node_parent', ['NO ACTION', 'blocks'], [], true)])
  })
})

describe('previewRows', () => {
  it('puts key columns first, orders by key, masks secrets, sizes bytea and cuts long text', async () => {
    const preview = await previewRows(fresh.db, await relation('public', 'preview_me'))
    expect(preview.columns.map((c) => [c.name, c.key, c.masked, c.bytes])).toEqual([
      ['id', true, false, false],
      ['note', false, false, false],
      ['blob', false, false, true],
      ['password', false, true, false],
      ['token_hash', false, true, false],
      ['n', false, false, false],
    ])
    expect(preview.orderedBy).toEqual(['id'])
    expect(preview.rows).toEqual([
      [{ text: '1' }, { text: 'short' }, { text: '3 bytes', bytes: 3 }, { text: '••••••', masked: true }, { text: '••••••', masked: true }, null],
      [{ text: '2' }, { text: 'y'.repeat(PREVIEW_MAX_CHARS) }, { text: '0 bytes', bytes: 0 }, null, { text: '••••••', masked: true }, null],
      [{ text: '3' }, { text: 'x'.repeat(PREVIEW_MAX_CHARS), truncated: true }, null, null, null, null],
    ])
    // Never the bytes themselves, not even in hex.
    expect(JSON.stringify(preview)).not.toContain('000102')
  })

  it('shows secrets when revealed, and honours the limit', async () => {
    const preview = await previewRows(fresh.db, await relation('public', 'preview_me'), { reveal: true, limit: 1 })
    expect(preview.limit).toBe(1)
    expect(preview.rows).toEqual([
      [{ text: '1' }, { text: 'short' }, { text: '3 bytes', bytes: 3 }, { text: 'hunter2' }, { text: 'abc123' }, null],
    ])
  })

  it('reads odd-named tables and columns', async () => {
    const preview = await previewRows(fresh.db, await relation(ODD.schema, ODD.table))
    expect(preview.columns.map((c) => c.name)).toEqual(['id', ODD.column, 'mood', 'moods', 'doubled'])
    expect(preview.rows).toEqual([[{ text: '1' }, { text: '12.50' }, { text: 'happy' }, { text: '{sad,happy}' }, { text: '25.00' }]])
    const emoji = await previewRows(fresh.db, await relation('public', ODD.emoji))
    expect(emoji).toMatchObject({ orderedBy: [], rows: [] })
  })
})

describe('table DDL', () => {
  it('comes from pg_dump with the odd name quoted as pg_dump quotes it', async () => {
    const ddl = await tableDdl(fresh.url, await relation(ODD.schema, ODD.table), PG_BIN_DIR)
    expect(ddl.source).toBe('pg_dump')
    expect(ddl.note).toBeUndefined()
    expect(ddl.ddl).toContain(`CREATE TABLE "${ODD.schema}"."${ODD.table}" (\n`)
    expect(ddl.ddl).toContain(`CONSTRAINT "${ODD.constraint}" CHECK (("${ODD.column}" >= (0)::numeric))`)
    expect(ddl.ddl).not.toMatch(/^SET /m)
    expect(ddl.ddl).not.toMatch(/^--/m)
    // Only this table: not the view or the other table of the schema.
    expect(ddl.ddl).not.toContain('happy orders')
  })

  it('is rebuilt from the catalog with every name quoted', async () => {
    expect(catalogDdl(await relation(ODD.schema, ODD.table))).toBe(
      [
        `CREATE TABLE "${ODD.schema}"."${ODD.table}" (`,
        '    id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,',
        `    "${ODD.column}" numeric(10,2) DEFAULT 0 NOT NULL,`,
        `    mood "${ODD.schema}"."Mood ""type""",`,
        `    moods "${ODD.schema}"."Mood ""type"""[],`,
        `    doubled numeric GENERATED ALWAYS AS ("${ODD.column}" * (2)::numeric) STORED,`,
        `    CONSTRAINT "${ODD.table}_pkey" PRIMARY KEY (id),`,
        `    CONSTRAINT "${ODD.constraint}" CHECK (("${ODD.column}" >= (0)::numeric))`,
        ');',
        '',
        `CREATE INDEX "idx ${ODD.column}" ON "${ODD.schema}"."${ODD.table}" USING btree ("${ODD.column}") WHERE (mood IS NOT NULL);`,
      ].join('\n'),
    )
    expect(catalogDdl(await relation('public', ODD.emoji))).toBe(
      [
        `CREATE TABLE public."${ODD.emoji}" (`,
        '    ref integer,',
        '    note text',
        ');',
        '',
        `ALTER TABLE ONLY public."${ODD.emoji}"\n    ADD CONSTRAINT "fk ${ODD.emoji}" FOREIGN KEY (ref) REFERENCES "${ODD.schema}"."${ODD.quoted.replace(/"/g, '""')}"(id) ON DELETE SET NULL NOT VALID;`,
      ].join('\n'),
    )
    expect(catalogDdl(await relation(ODD.schema, 'happy orders'))).toMatch(
      new RegExp(`^CREATE VIEW "${ODD.schema}"\\."happy orders" AS\\nSELECT `),
    )
  })
})

describe('schemaToJson', () => {
  it('has the shape `dbadmin schema --json` promises', async () => {
    const json = schemaToJson(await readSchemaModel(fresh.db))
    expect(JSON.parse(JSON.stringify(json))).toEqual(json)
    expect(json.schemas.map((s) => s.name)).toEqual(['impact', 'public', ODD.schema])
    const odd = json.schemas[2].tables.find((t) => t.name === ODD.table)!
    expect(Object.keys(odd)).toEqual(['name', 'kind', 'rowEstimate', 'totalBytes', 'columns', 'primaryKey', 'foreignKeys', 'indexes', 'constraints'])
    expect(odd).toMatchObject({ kind: 'table', primaryKey: ['id'] })
    expect(odd.totalBytes).toBeGreaterThan(0)
    expect(odd.columns.map((c) => [c.name, c.type, c.nullable])).toEqual([
      ['id', 'bigint', false],
      [ODD.column, 'numeric(10,2)', false],
      ['mood', `"${ODD.schema}"."Mood ""type"""`, true],
      ['moods', `"${ODD.schema}"."Mood ""type"""[]`, true],
      ['doubled', 'numeric', true],
    ])
    // Index names are of type name, ordered bytewise ("O" before "i").
    expect(odd.indexes.map((i) => [i.name, i.columns, i.unique, i.primary])).toEqual([
      [`${ODD.table}_pkey`, ['id'], true, true],
      ['idx ' + ODD.column, [ODD.column], false, false],
    ])
    const child = json.schemas[0].tables.find((t) => t.name === 'child')!
    expect(child.foreignKeys).toEqual([
      {
        name: 'child_parent',
        columns: ['parent_id'],
        refSchema: 'impact',
        refTable: 'parent',
        refColumns: ['id'],
        onDelete: 'CASCADE',
        onUpdate: 'NO ACTION',
        deferrable: false,
        validated: true,
      },
    ])
    expect(json.enums).toEqual([
      { schema: ODD.schema, name: ODD.enum, values: ['happy', 'sad', "it's; complicated"], usedBy: expect.any(Array) },
    ])
  })
})
