import { randomBytes } from 'node:crypto'
import { type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { inject } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { createDb } from '../db/connect'
import { readSchemaModel } from './catalog'
import { createOddNames, ODD } from './odd-names-fixture'
import { previewRows } from './preview'
import { readRelationDetail } from './relation-detail'
import { listRelations } from './relation-list'
import { tableDdl } from './table-ddl'

/**
 * The schema pages as a monitoring-only role: pg_monitor and CONNECT, no USAGE on the odd schema,
 * no SELECT on any table. The catalog is readable; what is not is reported, not thrown.
 */

const PG_BIN_DIR = '/usr/lib/postgresql/15/bin'
const suffix = randomBytes(4).toString('hex')
const MONITOR = `monitor_${suffix}`
const OWNER = `app_owner_${suffix}`
const PASSWORD = randomBytes(12).toString('hex')

let fresh: FreshDatabase
let admin: Kysely<any>
let monitorUrl: string
let monitor: Kysely<any>

beforeAll(async () => {
  fresh = await freshDatabase('monitor')
  admin = createDb(inject('pgAdminUrl'), { max: 1 })
  await createOddNames(fresh.db)
  // A table and its sequence owned by another (non-superuser) role, with a value to hide.
  await sql`create role ${sql.id(OWNER)} nologin`.execute(admin)
  await sql`create table public.owned_elsewhere (id serial primary key, token_hash text)`.execute(fresh.db)
  await sql`alter table public.owned_elsewhere owner to ${sql.id(OWNER)}`.execute(fresh.db)
  await sql`insert into public.owned_elsewhere (token_hash) values ('abc')`.execute(fresh.db)

  await sql`create role ${sql.id(MONITOR)} login password ${sql.lit(PASSWORD)} in role pg_monitor`.execute(admin)
  const database = new URL(fresh.url).pathname.slice(1)
  await sql`revoke connect on database ${sql.id(decodeURIComponent(database))} from public`.execute(fresh.db)
  await sql`grant connect on database ${sql.id(decodeURIComponent(database))} to ${sql.id(MONITOR)}`.execute(fresh.db)
  const u = new URL(fresh.url)
  u.username = MONITOR
  u.password = PASSWORD
  monitorUrl = u.toString()
  monitor = createDb(monitorUrl, { max: 4 })
})

afterAll(async () => {
  await monitor?.destroy()
  await fresh?.drop()
  // The database is gone with everything in it; the roles are cluster-wide.
  if (admin) {
    await sql`drop role if exists ${sql.id(MONITOR)}`.execute(admin)
    await sql`drop role if exists ${sql.id(OWNER)}`.execute(admin)
    await admin.destroy()
  }
})

describe('a monitoring-only role', () => {
  it('is what the test says it is', async () => {
    const { rows } = await sql<{ superuser: boolean; usage: boolean; select: boolean }>`
      select r.rolsuper as superuser,
             has_schema_privilege(${ODD.schema}, 'USAGE') as usage,
             has_table_privilege('public.owned_elsewhere', 'SELECT') as select
      from pg_roles r where r.rolname = current_user
    `.execute(monitor)
    expect(rows).toEqual([{ superuser: false, usage: false, select: false }])
  })

  it('reads the schema model, with unreadable sequences listed as such', async () => {
    const model = await readSchemaModel(monitor)
    expect(model.schemas.map((s) => s.name)).toEqual(['public', ODD.schema])
    expect(model.relations.map((r) => `${r.schema}.${r.name}`).sort()).toEqual(
      [`public.${ODD.emoji}`, 'public.owned_elsewhere', `${ODD.schema}.happy orders`, `${ODD.schema}.${ODD.quoted}`, `${ODD.schema}.${ODD.table}`].sort(),
    )
    const table = model.relations.find((r) => r.name === ODD.table)!
    expect(table.columns.map((c) => c.name)).toEqual(['id', ODD.column, 'mood', 'moods', 'doubled'])
    expect(table.totalBytes).toBeGreaterThan(0)
    expect(table.indexes.find((i) => i.name === 'idx ' + ODD.column)?.scans).toBe(0)
    expect(model.relations.find((r) => r.name === 'happy orders')?.viewDefinition).toContain('happy')

    expect(model.sequences.map((s) => [s.name, s.lastValue, s.usedShare])).toEqual(
      expect.arrayContaining([
        ['owned_elsewhere_id_seq', null, null],
        [`${ODD.quoted}_id_seq`, null, null],
        [`${ODD.table}_id_seq`, null, null],
      ]),
    )
    expect(model.sequences).toHaveLength(3)
    expect(model.limitations).toEqual(['3 sequences not readable by this role: their current value is unknown'])

    // The owner's view of the same sequence, for contrast.
    const full = await readSchemaModel(fresh.db)
    expect(full.sequences.find((s) => s.name === 'owned_elsewhere_id_seq')?.lastValue).toBe(1)
    expect(full.limitations).toEqual([])
  })

  it('lists and filters relations', async () => {
    const all = await listRelations(monitor, {})
    expect(all.total).toBe(5)
    const filtered = await listRelations(monitor, { q: 'token' })
    expect(filtered.items.map((r) => [r.schema, r.name, r.matchedColumns])).toEqual([['public', 'owned_elsewhere', ['token_hash']]])
  })

  it('reads a table page', async () => {
    const detail = await readRelationDetail(monitor, ODD.schema, ODD.table)
    expect(detail?.relation.primaryKey?.columns).toEqual(['id'])
    expect(detail?.incoming.map((fk) => [fk.schema, fk.table, fk.columns])).toEqual([[ODD.schema, ODD.quoted, ['order_id']]])
  })

  it('is refused rows with a permission error the page can show', async () => {
    const owned = (await readRelationDetail(monitor, 'public', 'owned_elsewhere'))!.relation
    await expect(previewRows(monitor, owned)).rejects.toMatchObject({
      code: '42501',
      message: 'permission denied for table owned_elsewhere',
    })
    const odd = (await readRelationDetail(monitor, ODD.schema, ODD.table))!.relation
    await expect(previewRows(monitor, odd)).rejects.toMatchObject({
      code: '42501',
      message: `permission denied for schema ${ODD.schema}`,
    })
  })

  it('gets the DDL rebuilt from the catalog when pg_dump may not lock the table', async () => {
    const owned = (await readRelationDetail(monitor, 'public', 'owned_elsewhere'))!.relation
    const ddl = await tableDdl(monitorUrl, owned, PG_BIN_DIR)
    expect(ddl.source).toBe('catalog')
    expect(ddl.note).toBe(
      'pg_dump could not be used (query failed: ERROR:  permission denied for table owned_elsewhere); rebuilt from the catalog',
    )
    expect(ddl.ddl).toContain('CREATE TABLE public.owned_elsewhere (\n')
    expect(ddl.ddl).toContain("    id integer DEFAULT nextval('owned_elsewhere_id_seq'::regclass) NOT NULL,")
    expect(ddl.ddl).not.toContain(PASSWORD)
  })
})
