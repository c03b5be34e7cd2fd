import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { freshStateDb } from '../../test/state-db'
import { buildDemoDatabase } from '../demo/prepare-demo'
import { DEMO_NOT_VALID_FK, type DemoSeedSummary } from '../demo/seed-demo'
import { type Finding, findingJson } from './findings'
import { planChecks, runChecks } from './run-checks'

// One whole integrity run on the untouched DoR demo, with the state database's DoR presets.
// Checks that change data live in checks-changes.test.ts, on a demo of their own.
let target: FreshDatabase
let state: FreshDatabase
let summary: DemoSeedSummary
let findings: Finding[]
let stepKeys: string[]

beforeAll(async () => {
  ;[target, state] = await Promise.all([freshDatabase('checks'), freshStateDb()])
  summary = await buildDemoDatabase(target.db)
  const steps = await planChecks(target.db, state.db)
  stepKeys = steps.map((s) => s.key)
  ;({ findings } = await runChecks(steps))
})
afterAll(async () => {
  await target?.drop()
  await state?.drop()
})

const of = (check: Finding['check']) => findings.filter((f) => f.check === check)
const one = (check: Finding['check']) => {
  const found = of(check)
  expect(found, check).toHaveLength(1)
  return found[0]
}
const count = async (query: ReturnType<typeof sql<{ n: number }>>) => Number((await query.execute(target.db)).rows[0].n)

describe('an integrity run on the DoR demo', () => {
  it('runs every check without an error', () => {
    expect(findings.filter((f) => f.error)).toEqual([])
    expect(stepKeys.slice(-6)).toEqual(['schema', 'not_valid_check', 'enums', 'roles', 'dor_rules', 'custom_rules'])
  })

  it('counts orphans for every foreign key, DoR preset soft relation and suggestion: exact counts, 0 included', () => {
    const relations = of('orphans')
      .map((f) => `${f.schema}.${f.table}(${f.columns.join(',')}) → ${f.refSchema}.${f.refTable}(${f.refColumns.join(',')}) ${f.source} ${f.count}`)
      .sort()
    expect(relations).toEqual([
      'public.agenda_item(meeting_id) → public.meeting(id) soft 25',
      'public.agenda_item(user_id) → public.user(id) foreign_key 0',
      'public.fileupload(agenda_item_id) → public.agenda_item(id) soft 15',
      'public.fileupload(user_id) → public.user(id) foreign_key 0',
      'public.meeting(created_by) → public.user(id) foreign_key 0',
      'public.meeting_attendee(meeting_id) → public.meeting(id) suggested 0',
      'public.meeting_attendee(user_id) → public.user(id) foreign_key 4',
      'public.registration_request(processed_by) → public.user(id) foreign_key 0',
    ])
    // The seed's own bookkeeping agrees.
    expect(summary.problems.orphanAgendaItems).toBe(25)
    expect(summary.problems.orphanFileUploads).toBe(15)
  })

  it('does not count NULL references as orphans', async () => {
    expect(summary.problems.unattachedFileUploads).toBe(30)
    expect(await count(sql`select count(*)::int as n from fileupload where agenda_item_id is null`)).toBe(30)
    // A LEFT JOIN without "IS NOT NULL" would report the 30 unattached uploads as well.
    expect(await count(sql`select count(*)::int as n from fileupload f left join agenda_item a on a.id = f.agenda_item_id where a.id is null`)).toBe(45)
    const uploads = of('orphans').find((f) => f.table === 'fileupload' && f.columns[0] === 'agenda_item_id')
    expect(uploads?.count).toBe(15)
  })

  it('reports the NOT VALID foreign key with its violations, from the same count', () => {
    const f = one('not_valid_foreign_key')
    expect(f).toMatchObject({ schema: 'public', table: 'meeting_attendee', columns: ['user_id'], refTable: 'user', count: 4 })
    expect(f.detail).toEqual({ constraint: DEMO_NOT_VALID_FK, canValidate: false })
    expect(summary.problems.notValidForeignKey.violatingRows).toBe(4)
  })

  it('finds the catalog problems: no primary key, unindexed foreign keys; no invalid index, no sequence near its limit', () => {
    expect(one('missing_primary_key')).toMatchObject({ count: 1, values: ['public.meeting_attendee'] })
    expect(one('invalid_index')).toMatchObject({ count: 0, values: [] })
    expect(one('sequence_near_limit')).toMatchObject({ count: 0, values: [] })
    // The demo stops one migration short of agenda_item_user_id_idx.
    expect(of('unindexed_foreign_key').map((f) => `${f.table}(${f.columns.join(',')})`).sort()).toEqual([
      'agenda_item(user_id)',
      'fileupload(user_id)',
      'meeting(created_by)',
      'meeting_attendee(user_id)',
      'registration_request(processed_by)',
    ])
    const createdBy = of('unindexed_foreign_key').find((f) => f.table === 'meeting')
    expect(createdBy).toMatchObject({ count: 1, refTable: 'user', detail: { constraint: 'meeting_created_by_fkey' } })
  })

  it('has no NOT VALID CHECK constraint to report', () => {
    expect(of('not_valid_check')).toEqual([])
  })

  it('checks enums: definitions match, userrole is unused, user.role holds lower-case spellings', async () => {
    expect(of('enum_definition').map((f) => [f.key, f.count, f.values])).toEqual([
      ['enum_definition:["public","agendaitemtype"]', 0, []],
      ['enum_definition:["public","meetingtype"]', 0, []],
      ['enum_definition:["public","registrationstatus"]', 0, []],
      ['enum_definition:["public","userrole"]', 0, []],
    ])
    expect(of('enum_case_duplicates')).toEqual([])
    expect(one('unused_enum')).toMatchObject({ count: 1, values: ['public.userrole'] })

    const lowerCaseRows = await count(sql`select count(*)::int as n from "user" where role <> upper(role)`)
    expect(lowerCaseRows).toBe(19)
    const role = one('enum_values')
    expect(role).toMatchObject({ schema: 'public', table: 'user', columns: ['role'], count: lowerCaseRows, values: ['student', 'faculty'] })
    expect(role.detail).toMatchObject({ enum: 'public.userrole', caseOnly: ['student', 'faculty'], perValue: { student: 14, faculty: 5 } })
  })

  it('counts users per role, spelling by spelling', () => {
    const counts = (one('role_counts').detail?.counts as { role: string; users: number }[]).slice().sort((a, b) => (a.role < b.role ? -1 : 1))
    expect(counts).toEqual([
      { role: 'ADMIN', users: 1 },
      { role: 'FACULTY', users: 5 },
      { role: 'SECRETARY', users: 1 },
      { role: 'STUDENT', users: 54 },
      { role: 'faculty', users: 5 },
      { role: 'student', users: 14 },
    ])
    expect(Object.fromEntries(counts.map((c) => [c.role, c.users]))).toEqual(summary.problems.roleSpellings)
    expect(one('role_without_users')).toMatchObject({ count: 0, values: [] })
    expect(of('role_not_allowed').map((f) => [f.table, f.count])).toEqual([
      ['meeting', 0],
      ['registration_request', 0],
    ])
    expect(of('duplicate_identity').map((f) => [f.columns[0], f.count])).toEqual([
      ['email', 0],
      ['username', 0],
    ])
  })

  it('applies the DoR rules with the counts the demo planted', () => {
    const rules = Object.fromEntries(of('rule').map((f) => [f.detail?.rule, f.count]))
    expect(rules).toEqual({
      meeting_ends_before_start: 3,
      processed_request_without_processor: 3,
      pending_request_username_taken: 4,
      upload_bad_metadata: 0,
    })
    expect(summary.problems).toMatchObject({ meetingsEndingBeforeStart: 3, approvedWithoutProcessor: 3, pendingWithExistingUsername: 4 })
  })

  it('gives the CLI its JSON: one entry per relation first, then the other checks', () => {
    const json = JSON.parse(JSON.stringify({ findings: findings.map(findingJson) })) as { findings: Record<string, unknown>[] }
    const agenda = json.findings.find((f) => f.check === 'orphans' && f.table === 'agenda_item' && f.refTable === 'meeting')!
    expect(Object.keys(agenda)).toEqual([
      'check', 'schema', 'table', 'columns', 'refSchema', 'refTable', 'refColumns', 'count', 'source', 'title', 'detail',
    ])
    expect(agenda).toMatchObject({
      check: 'orphans', schema: 'public', table: 'agenda_item', columns: ['meeting_id'],
      refSchema: 'public', refTable: 'meeting', refColumns: ['id'], count: 25, source: 'soft',
    })
    const role = json.findings.find((f) => f.check === 'enum_values')!
    expect(Object.keys(role)).toEqual([
      'check', 'schema', 'table', 'columns', 'refSchema', 'refTable', 'refColumns', 'count', 'source', 'values', 'title', 'detail',
    ])
    expect(role).toMatchObject({ columns: ['role'], count: 19, values: ['student', 'faculty'], source: null, refTable: null })
    // Relations come first (each NOT VALID foreign key's finding right after its orphan count).
    const checks = json.findings.map((f) => f.check)
    const firstOther = checks.findIndex((c) => c !== 'orphans' && c !== 'not_valid_foreign_key')
    expect(checks.slice(firstOther)).not.toContain('orphans')
    expect(checks.slice(0, firstOther).filter((c) => c === 'orphans')).toHaveLength(8)
  })
})
