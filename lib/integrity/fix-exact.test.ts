import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { readFixManifest } from './fix-file'
import { fixOrphans, planFix, restoreFix, restoreFixedRows } from './fix-orphans'
import { countOrphans } from './orphans'

// A fix saves rows and a restore brings them back exactly, whatever their types, and neither
// loses an edit someone made in between.
let target: FreshDatabase
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fix-exact-'))
const rel = { schema: 'public', table: 'kid', columns: ['pid'], refSchema: 'public', refTable: 'mom', refColumns: ['id'] }
const rowsText = async () =>
  (await sql<{ t: string }>`select k::text as t from kid k order by id`.execute(target.db)).rows.map((r) => r.t)

beforeAll(async () => {
  target = await freshDatabase('fixexact')
  await sql`create domain nn_text as text not null`.execute(target.db)
  await sql`create table mom (id int primary key)`.execute(target.db)
  await sql`create table kid (
    id int8 primary key, pid int, c jsonb, big numeric, exact numeric(40, 20), j json, nulljson jsonb,
    arr int[], f float8, d nn_text, t timestamptz, b bytea
  )`.execute(target.db)
  await sql`insert into mom values (1)`.execute(target.db)
  await sql`insert into kid values
    (9007199254740993, 50, '{"id": 1}', 12345678901234567890.123456789012345, 1.10000000000000000001, '{"b": 1, "a": 2, "a": 3}',
     'null', '[0:2]={7,8,9}', 0.1 + 0.2, 'x', '2024-02-29 12:34:56.789012+05:30', '\\x00ff'),
    (9007199254740992, 51, null, 1.50, 0, '[ 1 ,2 ]', '{"n": 123456789012345678901234567890}', '{}', 'NaN', 'y', null, null),
    (1, 1, null, null, null, null, null, null, null, 'z', null, null)`.execute(target.db)
})
afterAll(async () => {
  await target?.drop()
  fs.rmSync(dir, { recursive: true, force: true })
})

describe('exact fixes', () => {
  it('deletes and restores rows of awkward types exactly, big keys and a column named c included', async () => {
    await sql`alter database ${sql.id(target.url.split('/').pop()!)} set extra_float_digits = 0`.execute(target.db)
    const before = await rowsText()
    const file = path.join(dir, 'delete.jsonl')
    expect(await fixOrphans(target.db, rel, { mode: 'delete', file })).toMatchObject({ saved: 2, changed: 2, cancelled: false })
    expect(await countOrphans(target.db, rel)).toBe(0)
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n')
    expect(lines[0]).toContain('"id": 9007199254740992')
    expect(lines[1]).toContain('"id": 9007199254740993')
    expect(readFixManifest(file)).toMatchObject({ format: 2, columns: ['id', 'pid', 'c', 'big', 'exact', 'j', 'nulljson', 'arr', 'f', 'd', 't', 'b'] })
    expect(await restoreFix(target.db, file)).toMatchObject({ restored: 2 })
    expect(await rowsText()).toEqual(before)
  })

  it('sets NULL and restores only the rows it changed and that are still NULL', async () => {
    const before = await rowsText()
    const file = path.join(dir, 'null.jsonl')
    expect(await fixOrphans(target.db, rel, { mode: 'set_null', file })).toMatchObject({ saved: 2, changed: 2 })
    // Someone repairs one row by hand meanwhile: the restore leaves it alone.
    await sql`update kid set pid = 1 where id = 9007199254740992`.execute(target.db)
    expect(await restoreFixedRows(target.db, readFixManifest(file), file)).toEqual({ restored: 1, cancelled: false })
    const after = await rowsText()
    expect(after[2]).toBe(before[2])
    expect(after[1]).toMatch(/^\(9007199254740992,1,/)
    await sql`update kid set pid = 51 where id = 9007199254740992`.execute(target.db)
  })

  it('does not delete a row edited after it was saved', async () => {
    const file = path.join(dir, 'edited.jsonl')
    let edited = false
    const r = await fixOrphans(target.db, rel, {
      mode: 'delete',
      file,
      batchSize: 1,
      onProgress: async (p) => {
        if (p.phase === 'changing' && !edited) {
          edited = true
          await sql`update kid set d = 'edited' where id = 9007199254740993`.execute(target.db)
        }
      },
    })
    expect(r).toMatchObject({ saved: 2, changed: 1 })
    expect((await rowsText()).find((t) => t.startsWith('(9007199254740993,'))).toContain(',edited,')
    await restoreFix(target.db, file)
    expect(await countOrphans(target.db, rel)).toBe(2)
  })

  it('restores into a table that gained a NOT NULL column with a default since', async () => {
    const file = path.join(dir, 'added.jsonl')
    await fixOrphans(target.db, rel, { mode: 'delete', file })
    await sql`alter table kid add column flag boolean not null default true`.execute(target.db)
    expect(await restoreFix(target.db, file)).toMatchObject({ restored: 2 })
    expect(await countOrphans(target.db, rel)).toBe(2)
    const { rows } = await sql<{ flag: boolean; big: string }>`select flag, big::text from kid where id = 9007199254740993`.execute(target.db)
    expect(rows[0]).toEqual({ flag: true, big: '12345678901234567890.123456789012345' })
  })

  it('names the foreign keys a delete cascades to', async () => {
    await sql`create table kid_note (id int primary key, kid_id int8 references kid on delete cascade)`.execute(target.db)
    expect((await planFix(target.db, rel)).cascades).toEqual(['public.kid_note (kid_note_kid_id_fkey): ON DELETE CASCADE'])
  })

  it('on a table with inheritance children, counts, saves and changes its own rows only', async () => {
    await sql`create table kid_extra (more text) inherits (kid)`.execute(target.db)
    await sql`insert into kid_extra (id, pid, d, more) values (7, 77, 'child', 'kept')`.execute(target.db)
    const inherited = { ...rel, childOnly: true }
    expect(await countOrphans(target.db, inherited)).toBe(2)
    expect((await planFix(target.db, rel)).count).toBe(2)
    const file = path.join(dir, 'inherits.jsonl')
    expect(await fixOrphans(target.db, inherited, { mode: 'set_null', file })).toMatchObject({ saved: 2, changed: 2 })
    const { rows } = await sql<{ pid: number }>`select pid from kid_extra`.execute(target.db)
    expect(rows).toEqual([{ pid: 77 }])
    expect(await restoreFix(target.db, file)).toMatchObject({ restored: 2 })
    expect(await countOrphans(target.db, inherited)).toBe(2)
  })
})
