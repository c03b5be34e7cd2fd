import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BackupFixture, backupFixture, databaseExists } from '../../test/backup-fixture'
import { withDatabase } from '../db/connect'
import { createBackup } from './create-backup'
import { restoreBackup } from './restore'
import { restoreTable } from './table-restore'

// The project's rule: names like `Order; DROP TABLE x;--` or `ünïcode schema` must just work,
// in a backup's scope, a single-table restore and the name of the database restored into.
const SCHEMA = 'ünïcode schema'
const TABLE = 'Order; DROP TABLE x;--'

let f: BackupFixture
beforeAll(async () => {
  f = await backupFixture('bkodd')
  await sql`create schema ${sql.id(SCHEMA)}`.execute(f.target.db)
  await sql`create type ${sql.id(SCHEMA, 'Mood; x')} as enum ('a', 'b')`.execute(f.target.db)
  await sql`create table ${sql.id(SCHEMA, TABLE)} (id serial primary key, mood ${sql.id(SCHEMA, 'Mood; x')}, note text)`.execute(f.target.db)
  await sql`insert into ${sql.id(SCHEMA, TABLE)} (mood, note) select 'a', 'n' || i from generate_series(1, 7) i`.execute(f.target.db)
  await sql`create table x (id int)`.execute(f.target.db)
  await sql`insert into x values (42)`.execute(f.target.db)
})
afterAll(async () => f?.close())

const targetName = () => decodeURIComponent(new URL(f.target.url).pathname.slice(1))
const count = async (database: string, schema: string, table: string) =>
  Number((await sql<{ n: string }>`select count(*) as n from ${sql.id(schema, table)}`.execute(f.open(database))).rows[0].n)

describe('odd names', () => {
  it('a backup limited to an odd schema, or to an odd table, holds exactly it', async () => {
    const bySchema = await createBackup(f.state.db, { ...f.common, createdBy: 't', scope: { schemas: [SCHEMA] } })
    expect(bySchema.rowCounts).toEqual([{ schema: SCHEMA, table: TABLE, rows: 7 }])
    const byTable = await createBackup(f.state.db, { ...f.common, createdBy: 't', scope: { tables: [{ schema: SCHEMA, table: TABLE }, { schema: 'public', table: 'x' }] } })
    expect(byTable.rowCounts).toEqual([
      { schema: 'public', table: 'x', rows: 1 },
      { schema: SCHEMA, table: TABLE, rows: 7 },
    ])
    const name = 'odd whole; restore, ü+'
    f.made.push(name)
    await restoreBackup(f.state.db, bySchema.id, { ...f.common, into: { newDatabase: name }, createdBy: 't' })
    expect(await count(name, SCHEMA, TABLE)).toBe(7)
    // `x` was never dropped by anything the name said.
    expect(await count(targetName(), 'public', 'x')).toBe(1)
    // pg_dump -t leaves out the table's schema and types: restored whole into a new database it
    // fails, and the message must say why (the statement pg_restore prints after it hid the reason).
    const broken = 'odd tables only; restore'
    await expect(restoreBackup(f.state.db, byTable.id, { ...f.common, into: { newDatabase: broken }, createdBy: 't' })).rejects.toMatchObject({
      backupCode: 'restore_failed',
      message: expect.stringContaining(`schema "${SCHEMA}" does not exist`),
    })
    expect(await databaseExists(f.target.db, broken)).toBe(false)
  })

  it('restores the odd table with its odd enum type into a new database whose name has ; , + and ü', async () => {
    const b = await createBackup(f.state.db, { ...f.common, createdBy: 't' })
    const name = 'odd table; restore, ü+'
    f.made.push(name)
    const r = await restoreTable(f.state.db, b.id, { ...f.common, createdBy: 't', table: { schema: SCHEMA, table: TABLE }, into: { newDatabase: name } })
    expect(r).toMatchObject({ database: name, createdDatabase: true, rows: 7 })
    expect(r.included.map((e) => `${e.type} ${e.name}`)).toEqual(expect.arrayContaining([`SCHEMA ${SCHEMA}`, 'TYPE Mood; x', `TABLE ${TABLE}`, `TABLE DATA ${TABLE}`]))
    expect(await count(name, SCHEMA, TABLE)).toBe(7)
  })

  it('restores the odd table under a new odd name beside the original', async () => {
    const b = await createBackup(f.state.db, { ...f.common, createdBy: 't' })
    const r = await restoreTable(f.state.db, b.id, { ...f.common, createdBy: 't', table: { schema: SCHEMA, table: TABLE }, as: 'Copy; of "it"' })
    expect(r.rows).toBe(7)
    expect(await count(targetName(), SCHEMA, 'Copy; of "it"')).toBe(7)
  })

  it('says clearly, before making anything, that a table cannot go into a new database named with / ? or #', async () => {
    const b = await createBackup(f.state.db, { ...f.common, createdBy: 't', kind: 'schema' })
    for (const name of ['a/b', 'a?b', 'a#b']) {
      await expect(restoreTable(f.state.db, b.id, { ...f.common, createdBy: 't', table: { schema: SCHEMA, table: TABLE }, into: { newDatabase: name } })).rejects.toMatchObject({
        backupCode: 'invalid_input',
        message: expect.stringMatching(/cannot hold \/, \? or #/),
      })
      expect(await databaseExists(f.target.db, name)).toBe(false)
    }
  })

  it('withDatabase names a database that node-postgres and libpq read back the same', () => {
    for (const name of ['semi;colon', 'a,b+c=d&e$f:g@h', 'ünï cöde', '100%']) {
      const url = withDatabase('postgres://u:p@localhost:5432/postgres', name)
      expect(decodeURIComponent(new URL(url).pathname.slice(1))).toBe(name)
      // node-postgres reads the path with decodeURI, which leaves %3B, %2C, … as they are.
      expect(decodeURI(new URL(url).pathname.slice(1))).toBe(name)
    }
  })
})
