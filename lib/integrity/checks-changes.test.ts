import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { buildDemoDatabase, migrateDemoToSecondNewest } from '../demo/prepare-demo'
import { notValidCheckFindings, notValidChecks, validateConstraint } from './check-constraints'
import { dorRuleChecks } from './dor-rules'
import { enumChecks } from './enum-checks'
import { liveColumns } from './live-columns'
import { roleChecks } from './role-checks'
import { schemaChecks } from './schema-checks'

// The checks that must notice a change: each test plants one problem in a demo of its own.
let target: FreshDatabase

beforeAll(async () => {
  target = await freshDatabase('checkchg')
  await buildDemoDatabase(target.db)
})
afterAll(async () => {
  await target?.drop()
})

async function ruleCounts() {
  const found = await dorRuleChecks(target.db, await liveColumns(target.db))
  return Object.fromEntries(found.map((f) => [f.detail?.rule, f.count]))
}

describe('checks on a changed DoR demo', () => {
  it('counts uploads with an empty path or a negative size', async () => {
    expect((await ruleCounts()).upload_bad_metadata).toBe(0)
    await sql`insert into fileupload (user_id, filename, filepath, file_size) values (13, 'blank.pdf', '  ', 100), (14, 'neg.pdf', 'uploads/x/neg.pdf', -1)`.execute(
      target.db,
    )
    expect(await ruleCounts()).toEqual({
      meeting_ends_before_start: 3,
      processed_request_without_processor: 3,
      pending_request_username_taken: 4,
      upload_bad_metadata: 2,
    })
  })

  it('counts the rows violating a NOT VALID CHECK, and says when it can be validated', async () => {
    await sql`insert into meeting (title, start_time, end_time, created_by)
      values ('', now(), now() + interval '1 hour', 3), ('   ', now(), now() + interval '1 hour', 4)`.execute(target.db)
    await sql`alter table meeting add constraint title_not_blank check (btrim(title) <> '') not valid`.execute(target.db)
    expect(await notValidChecks(target.db)).toMatchObject([{ schema: 'public', table: 'meeting', name: 'title_not_blank' }])

    const [before] = await notValidCheckFindings(target.db)
    expect(before).toMatchObject({ check: 'not_valid_check', schema: 'public', table: 'meeting', count: 2 })
    expect(before.detail).toMatchObject({ constraint: 'title_not_blank', canValidate: false })
    expect(before.detail?.definition).toBe("CHECK ((btrim((title)::text) <> ''::text)) NOT VALID")
    await expect(validateConstraint(target.db, 'public', 'meeting', 'title_not_blank')).rejects.toThrow(/violated by some row/)

    await sql`delete from meeting where btrim(title) = ''`.execute(target.db)
    const [after] = await notValidCheckFindings(target.db)
    expect(after).toMatchObject({ count: 0, detail: { canValidate: true } })
    await validateConstraint(target.db, 'public', 'meeting', 'title_not_blank')
    expect(await notValidCheckFindings(target.db)).toEqual([])
  })

  it('finds an index left invalid by a failed CREATE INDEX CONCURRENTLY', async () => {
    expect((await schemaChecks(target.db)).find((f) => f.check === 'invalid_index')?.count).toBe(0)
    // CONCURRENTLY cannot run in a transaction: a statement of its own on the pool.
    await expect(sql`create unique index concurrently meeting_type_unique on meeting (meeting_type)`.execute(target.db)).rejects.toThrow(
      /could not create unique index/,
    )
    const invalid = (await schemaChecks(target.db)).find((f) => f.check === 'invalid_index')
    expect(invalid).toMatchObject({ count: 1, values: ['public.meeting_type_unique'] })
    expect(invalid?.detail).toMatchObject({ indexes: [{ schema: 'public', table: 'meeting', index: 'meeting_type_unique' }] })
  })

  it('stops reporting a foreign key once an index supports it', async () => {
    const unindexed = async () =>
      (await schemaChecks(target.db)).filter((f) => f.check === 'unindexed_foreign_key').map((f) => `${f.table}(${f.columns.join(',')})`)
    expect(await unindexed()).toContain('meeting(created_by)')
    await sql`create index meeting_created_by_idx on meeting (created_by)`.execute(target.db)
    expect(await unindexed()).not.toContain('meeting(created_by)')
    expect(await unindexed()).toContain('agenda_item(user_id)')
  })

  it('finds user names and emails that repeat when case is ignored', async () => {
    const duplicates = async () =>
      (await roleChecks(target.db, await liveColumns(target.db), [])).filter((f) => f.check === 'duplicate_identity').map((f) => [f.columns[0], f.count, f.values])
    expect(await duplicates()).toEqual([
      ['email', 0, []],
      ['username', 0, []],
    ])
    // chen2 exists; 'Chen2' and 'CHEN2' differ from it only by case, and so do the two mixed-case emails from each other.
    await sql`insert into "user" (username, email, hashed_password, role) values
      ('Chen2', 'Someone@Mail.example', 'x', 'STUDENT'), ('CHEN2', 'someone@MAIL.example', 'x', 'STUDENT')`.execute(target.db)
    expect(await duplicates()).toEqual([
      ['email', 2, ['someone@mail.example']],
      ['username', 3, ['chen2']],
    ])
    // Without a unique index, exact repeats count too (every row is grouped then).
    await sql`alter table "user" drop constraint user_email_key`.execute(target.db)
    await sql`insert into "user" (username, email, hashed_password) values ('x1', 'ann@x.example', 'x'), ('x2', 'ann@x.example', 'x')`.execute(target.db)
    expect(await duplicates()).toEqual([
      ['email', 4, ['ann@x.example', 'someone@mail.example']],
      ['username', 3, ['chen2']],
    ])
  })

  it('lists a sequence past 90 % of its range', async () => {
    const near = async () => (await schemaChecks(target.db)).find((f) => f.check === 'sequence_near_limit')
    expect(await near()).toMatchObject({ count: 0, values: [] })
    await sql`select setval('registration_request_id_seq', 2147483000)`.execute(target.db)
    expect(await near()).toMatchObject({ count: 1, values: ['public.registration_request_id_seq'] })
  })
})

describe('enum definitions against the migrations', () => {
  let other: FreshDatabase
  beforeAll(async () => {
    other = await freshDatabase('enumdef')
    await migrateDemoToSecondNewest(other.db)
  })
  afterAll(async () => {
    await other?.drop()
  })

  it('reports a label the migrations do not define', async () => {
    const definitions = async () => (await enumChecks(other.db)).filter((f) => f.check === 'enum_definition')
    expect((await definitions()).map((f) => f.count)).toEqual([0, 0, 0, 0])
    await sql`alter type userrole add value 'alumni'`.execute(other.db)
    const userrole = (await definitions()).find((f) => f.key === 'enum_definition:["public","userrole"]')
    expect(userrole).toMatchObject({ count: 1, values: ['alumni'] })
    expect(userrole?.detail).toEqual({
      expected: ['STUDENT', 'FACULTY', 'SECRETARY', 'ADMIN'],
      actual: ['STUDENT', 'FACULTY', 'SECRETARY', 'ADMIN', 'alumni'],
      missing: [],
      extra: ['alumni'],
      reordered: false,
    })
    expect((await definitions()).filter((f) => f.count).map((f) => f.key)).toEqual(['enum_definition:["public","userrole"]'])
  })

  it('reports a missing enum type', async () => {
    await sql`drop type meetingtype cascade`.execute(other.db)
    const missing = (await enumChecks(other.db)).find((f) => f.key === 'enum_definition:["public","meetingtype"]')
    expect(missing).toMatchObject({ count: 1, values: ['general_update', 'presentations_and_updates', 'other'], detail: { missingType: true } })
  })
})
