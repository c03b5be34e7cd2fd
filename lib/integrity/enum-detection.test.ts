import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { enumChecks } from './enum-checks'

// Text columns used as enums on the tables where DoR-Dash's real failure lives: a user table of a
// few rows (n_distinct is stored as a fraction there, or statistics are missing) and a table
// loaded a moment ago that no ANALYZE has seen.
let target: FreshDatabase
const odd = 'ünïcode schema'
const oddColumn = 'Order; DROP TABLE x;--'

beforeAll(async () => {
  target = await freshDatabase('enumdetect')
  await sql`create type userrole as enum ('STUDENT', 'FACULTY', 'SECRETARY', 'ADMIN')`.execute(target.db)
  await sql`create type meetingtype as enum ('general_update', 'presentations_and_updates', 'other')`.execute(target.db)
  await sql`create table "user" (id int primary key, email text, role varchar(20))`.execute(target.db)
  await sql`insert into "user" values (1, 'a@x', 'ADMIN'), (2, 'b@x', 'FACULTY'), (3, 'c@x', 'faculty'), (4, 'd@x', 'STUDENT'),
    (5, 'e@x', 'student'), (6, 'f@x', 'Secretary'), (7, 'g@x', null)`.execute(target.db)
  await sql`analyze "user"`.execute(target.db)
  await sql`create schema ${sql.id(odd)}`.execute(target.db)
  // Autovacuum must not analyse it during the test: it stays as freshly loaded.
  await sql`create table ${sql.id(odd, 'loaded')} (id int primary key, ${sql.id(oddColumn)} text) with (autovacuum_enabled = false)`.execute(target.db)
  await sql`insert into ${sql.id(odd, 'loaded')} select g, (array['general_update', 'other', 'presentations_and_updates', 'General_Update', 'party'])[1 + g % 5]
    from generate_series(1, 2000) g`.execute(target.db)
})
afterAll(async () => {
  await target?.drop()
})

const valueFindings = async () => (await enumChecks(target.db)).filter((f) => f.check === 'enum_values')

describe('text columns used as enums on small and unanalysed tables', () => {
  it('finds the spellings of a 7-row user table that statistics hide', async () => {
    // What made it invisible: six distinct values of seven rows, so n_distinct is stored as a
    // fraction of the rows (-6/7), outside what statistics take for an enum.
    const { rows } = await sql<{ n: number }>`select n_distinct::float8 as n from pg_stats where tablename = 'user' and attname = 'role'`.execute(target.db)
    expect(rows[0].n).toBeCloseTo(-6 / 7)
    const role = (await valueFindings()).find((f) => f.table === 'user' && f.columns?.[0] === 'role')
    expect(role).toMatchObject({
      title: 'user.role used as enum userrole',
      count: 3,
      detail: expect.objectContaining({ enum: 'public.userrole', perValue: { faculty: 1, Secretary: 1, student: 1 } }),
    })
    expect([...role!.values!].sort()).toEqual(['Secretary', 'faculty', 'student'])
    // The e-mail column is not an enum's.
    expect((await valueFindings()).some((f) => f.table === 'user' && f.columns?.[0] === 'email')).toBe(false)
  })

  it('finds them in a freshly loaded table with no statistics, whatever its names', async () => {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stats where schemaname = ${odd}`.execute(target.db)
    expect(rows[0].n).toBe(0)
    const loaded = (await valueFindings()).find((f) => f.schema === odd && f.table === 'loaded')
    expect(loaded).toMatchObject({
      columns: [oddColumn],
      count: 800,
      values: ['General_Update', 'party'],
      detail: expect.objectContaining({ enum: 'public.meetingtype', caseOnly: ['General_Update'], perValue: { General_Update: 400, party: 400 } }),
    })
  })

  it('reports each column once, and leaves columns with many distinct values alone', async () => {
    await sql`create table note (id int primary key, body text)`.execute(target.db)
    await sql`insert into note select g, case when g % 2 = 0 then 'ADMIN' else 'text ' || g end from generate_series(1, 300) g`.execute(target.db)
    const found = await valueFindings()
    expect(found.filter((f) => f.table === 'note')).toEqual([])
    const keys = found.map((f) => f.key)
    expect(new Set(keys).size).toBe(keys.length)
  })
})
