import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { freshStateDb } from '../../test/state-db'
import { countOrphans, sampleOrphans } from './orphans'
import { foreignKeyRelations } from './foreign-key-relations'
import { decideAllSuggestions, suggestRelations } from './relation-suggestions'
import { relationsToCheck } from './relations'
import { listSoftRelations, RelationRuleError, saveSoftRelation } from './soft-relations'
import { planChecks, runChecks } from './run-checks'
import { schemaChecks } from './schema-checks'
import { targetIdentity } from '../db/target-identity'

// Which relations a run checks, and how soft relations are validated, on small hand-made schemas.
let target: FreshDatabase
let state: FreshDatabase
/** Settings are kept per target (lib/db/target-identity.ts). */
const key = async () => (await targetIdentity(target.db)).key

beforeAll(async () => {
  ;[target, state] = await Promise.all([freshDatabase('rels'), freshStateDb()])
})
afterAll(async () => {
  await target?.drop()
  await state?.drop()
})

const describeAll = (rels: { schema: string; table: string; columns: string[]; refTable: string; refColumns: string[]; source: string }[]) =>
  rels.map((r) => `${r.table}(${r.columns.join(',')}) → ${r.refTable}(${r.refColumns.join(',')}) ${r.source}`)

describe('relations to check', () => {
  it('skips the DoR presets when their tables do not exist: an empty database checks no relation', async () => {
    expect((await listSoftRelations(state.db, await key())).map((s) => [s.table, s.origin, s.status])).toEqual([
      ['agenda_item', 'preset', 'accepted'],
      ['fileupload', 'preset', 'accepted'],
    ])
    expect(await relationsToCheck(target.db, state.db)).toEqual([])
    const { findings } = await runChecks(await planChecks(target.db, state.db))
    expect(findings.filter((f) => f.check === 'orphans')).toEqual([])
    expect(findings.filter((f) => f.error)).toEqual([])
  })

  it('suggests a <name>_id column pointing at table <name>, unless a foreign key or soft relation covers it', async () => {
    await sql`create table team (id integer primary key, code text unique, name text)`.execute(target.db)
    await sql`create table player (id serial primary key, team_id integer, team_code text, nick text)`.execute(target.db)
    await sql`create table coach (id serial primary key, team_id integer references team (id))`.execute(target.db)
    await sql`insert into team values (1, 'A', 'Alpha'), (2, 'B', 'Beta')`.execute(target.db)
    await sql`insert into player (team_id, team_code) values (1, 'A'), (2, 'B'), (3, 'C'), (3, 'C'), (null, null)`.execute(target.db)

    const fks = await foreignKeyRelations(target.db)
    expect(describeAll(fks)).toEqual(['coach(team_id) → team(id) foreign_key'])
    expect(describeAll(await suggestRelations(target.db, fks))).toEqual(['player(team_id) → team(id) suggested'])
    expect(describeAll(await suggestRelations(target.db, []))).toEqual(['coach(team_id) → team(id) suggested', 'player(team_id) → team(id) suggested'])
    expect(describeAll(await relationsToCheck(target.db, state.db))).toEqual([
      'coach(team_id) → team(id) foreign_key',
      'player(team_id) → team(id) suggested',
    ])
    expect(await countOrphans(target.db, { schema: 'public', table: 'player', columns: ['team_id'], refSchema: 'public', refTable: 'team', refColumns: ['id'] })).toBe(2)
  })

  it('refuses a soft relation to a missing table or column, to a non-key, or with unequal column counts', async () => {
    const rel = { schema: 'public', table: 'player', columns: ['team_code'], refSchema: 'public', refTable: 'team', refColumns: ['code'] }
    const save = (change: Partial<typeof rel>) =>
      saveSoftRelation(target.db, state.db, { ...rel, ...change, status: 'accepted', origin: 'manual', by: 'admin@test.local' })
    // Each refusal names the form field it is about, for the page to show it there.
    await expect(save({ table: 'nope' })).rejects.toThrow(new RelationRuleError('There is no table public.nope.', 'table'))
    await expect(save({ refSchema: 'other' })).rejects.toThrow(new RelationRuleError('There is no table other.team.', 'refTable'))
    await expect(save({ columns: ['team_kode', 'nick'], refColumns: ['code', 'name'] })).rejects.toThrow(
      new RelationRuleError('public.player has no column team_kode.', 'columns'),
    )
    await expect(save({ refColumns: ['kode'] })).rejects.toThrow('public.team has no column kode.')
    await expect(save({ refColumns: ['name'] })).rejects.toThrow(
      'public.team(name) is not a primary key or unique: a reference must point at a key.',
    )
    await expect(save({ refColumns: ['code', 'name'] })).rejects.toThrow('Give as many referencing columns as referenced columns.')
    await expect(save({ columns: [], refColumns: [] })).rejects.toThrow('Give as many referencing columns as referenced columns.')
    expect(await listSoftRelations(state.db, await key())).toHaveLength(2)
  })

  it('saves a soft relation, checks it, and takes it back when dismissed', async () => {
    const rel = { schema: 'public', table: 'player', columns: ['team_code'], refSchema: 'public', refTable: 'team', refColumns: ['code'] }
    await saveSoftRelation(target.db, state.db, { ...rel, status: 'accepted', origin: 'manual', note: 'codes', by: 'admin@test.local' })
    const saved = (await listSoftRelations(state.db, await key())).find((s) => s.table === 'player')
    expect(saved).toMatchObject({ ...rel, source: 'soft', status: 'accepted', origin: 'manual', note: 'codes', createdBy: 'admin@test.local' })
    expect(saved?.name).toBe('public.player(team_code) → public.team(code)')
    expect(describeAll(await relationsToCheck(target.db, state.db))).toEqual([
      'coach(team_id) → team(id) foreign_key',
      'player(team_code) → team(code) soft',
      'player(team_id) → team(id) suggested',
    ])
    const { findings } = await runChecks(await planChecks(target.db, state.db))
    expect(findings.filter((f) => f.check === 'orphans').map((f) => [f.columns[0], f.source, f.count])).toEqual([
      ['team_id', 'foreign_key', 0],
      ['team_code', 'soft', 2],
      ['team_id', 'suggested', 2],
    ])

    // Dismissing the same relation updates the row; a dismissed relation is neither checked nor suggested.
    await saveSoftRelation(target.db, state.db, { ...rel, status: 'dismissed', origin: 'manual', by: 'operator@test.local' })
    await saveSoftRelation(target.db, state.db, {
      ...rel, columns: ['team_id'], refColumns: ['id'], status: 'dismissed', origin: 'suggestion', by: 'operator@test.local',
    })
    expect((await listSoftRelations(state.db, await key())).filter((s) => s.table === 'player').map((s) => [s.columns[0], s.status, s.createdBy])).toEqual([
      ['team_code', 'dismissed', 'operator@test.local'],
      ['team_id', 'dismissed', 'operator@test.local'],
    ])
    expect(describeAll(await relationsToCheck(target.db, state.db))).toEqual(['coach(team_id) → team(id) foreign_key'])
  })

  it('takes a unique index with INCLUDE columns as a key on its key columns only', async () => {
    await sql`create table squad (id integer primary key, "Code" text, label text, unique ("Code") include (label))`.execute(target.db)
    const rel = { schema: 'public', table: 'player', columns: ['team_code'], refSchema: 'public', refTable: 'squad', status: 'accepted' as const, origin: 'manual' as const, by: 'admin@test.local' }
    await saveSoftRelation(target.db, state.db, { ...rel, refColumns: ['Code'] })
    await expect(saveSoftRelation(target.db, state.db, { ...rel, columns: ['team_code', 'nick'], refColumns: ['Code', 'label'] })).rejects.toThrow(
      'public.squad(Code, label) is not a primary key or unique',
    )
    await saveSoftRelation(target.db, state.db, { ...rel, status: 'dismissed', refColumns: ['Code'] })
  })

  it('accepts a dismissal pointing at a non-key (nothing will be checked)', async () => {
    await saveSoftRelation(target.db, state.db, {
      schema: 'public', table: 'player', columns: ['nick'], refSchema: 'public', refTable: 'team', refColumns: ['name'],
      status: 'dismissed', origin: 'manual', by: 'admin@test.local',
    })
    expect((await listSoftRelations(state.db, await key())).filter((s) => s.columns[0] === 'nick')).toHaveLength(1)
  })
})

describe('a multi-column foreign key', () => {
  const enrolment = { schema: 'public', table: 'enrolment', columns: ['num', 'dept'], refSchema: 'public', refTable: 'course', refColumns: ['num', 'dept'] }

  beforeAll(async () => {
    await sql`create table course (dept text, num integer, title text, primary key (dept, num))`.execute(target.db)
    await sql`create table enrolment (id serial primary key, student text, dept text, num integer)`.execute(target.db)
    await sql`insert into course values ('CS', 101, 'Intro'), ('CS', 102, 'Data'), ('MA', 201, 'Analysis')`.execute(target.db)
    // Orphans: ('CS', 999) and ('MA', 101): each value exists alone, never the pair. NULL in either column: no orphan.
    await sql`insert into enrolment (student, dept, num) values
      ('ann', 'CS', 101), ('ben', 'CS', 999), ('cy', 'MA', 101), ('dee', null, 999), ('eve', 'XX', null), ('fay', 'MA', 201), ('gus', null, null)`.execute(
      target.db,
    )
    // Columns in another order than the primary key's, added NOT VALID so the old rows stay.
    await sql`alter table enrolment add constraint enrolment_course_fkey foreign key (num, dept) references course (num, dept) not valid`.execute(
      target.db,
    )
  })

  it('reads the constraint with its columns paired in order', async () => {
    const fk = (await foreignKeyRelations(target.db)).find((r) => r.table === 'enrolment')
    expect(fk).toEqual({ name: 'enrolment_course_fkey', ...enrolment, source: 'foreign_key', validated: false, matchFull: false })
  })

  it('counts pairs with no parent, not rows with a NULL in one column', async () => {
    expect(await countOrphans(target.db, enrolment)).toBe(2)
    expect(await sampleOrphans(target.db, enrolment, ['id'])).toEqual({
      columns: ['id', 'num', 'dept'],
      rows: [
        ['2', '999', 'CS'],
        ['3', '101', 'MA'],
      ],
    })
    const { findings } = await runChecks(await planChecks(target.db, state.db))
    const mine = findings.filter((f) => f.table === 'enrolment' && ['orphans', 'not_valid_foreign_key'].includes(f.check))
    expect(mine.map((f) => [f.check, f.count, f.detail?.canValidate])).toEqual([
      ['orphans', 2, undefined],
      ['not_valid_foreign_key', 2, false],
    ])
  })

  it('is unindexed until an index starts with its columns, in any order', async () => {
    const unindexed = async () =>
      (await schemaChecks(target.db)).filter((f) => f.check === 'unindexed_foreign_key').map((f) => `${f.table}(${f.columns.join(',')})`)
    expect(await unindexed()).toEqual(['coach(team_id)', 'enrolment(num,dept)'])
    await sql`create index enrolment_num_idx on enrolment (num)`.execute(target.db)
    await sql`create index coach_team_idx on coach (team_id)`.execute(target.db)
    expect(await unindexed()).toEqual(['enrolment(num,dept)'])
    await sql`create index enrolment_course_idx on enrolment (dept, num, student)`.execute(target.db)
    expect(await unindexed()).toEqual([])
  })

  it('accepts a multi-column soft relation to a key given in another order', async () => {
    await saveSoftRelation(target.db, state.db, {
      ...enrolment, table: 'enrolment', columns: ['dept', 'num'], refColumns: ['dept', 'num'], status: 'accepted', origin: 'manual', by: 'admin@test.local',
    })
    await expect(
      saveSoftRelation(target.db, state.db, { ...enrolment, columns: ['num'], refColumns: ['num'], status: 'accepted', origin: 'manual', by: 'admin@test.local' }),
    ).rejects.toThrow('public.course(num) is not a primary key or unique')
    // The same pairs as the foreign key (num, dept) → (num, dept): checked once, as the foreign key.
    const checked = (await relationsToCheck(target.db, state.db)).filter((r) => r.table === 'enrolment')
    expect(checked.map((r) => [r.source, r.columns])).toEqual([['foreign_key', ['num', 'dept']]])
  })
})

describe('deciding every suggestion at once', () => {
  it('dismisses or accepts all open suggestions in one insert, leaving decided ones alone', async () => {
    await sql`create schema "Bulk Ünï"`.execute(target.db)
    await sql`create table "Bulk Ünï".club (id bigint primary key)`.execute(target.db)
    for (const t of ['m1', 'm2', 'm3']) await sql`create table ${sql.id('Bulk Ünï', t)} (id serial primary key, club_id bigint)`.execute(target.db)
    const open = async () => (await suggestRelations(target.db, [...(await foreignKeyRelations(target.db)), ...(await listSoftRelations(state.db, await key()))])).map((r) => `${r.schema}.${r.table}`)
    const before = await open()
    expect(before).toEqual(expect.arrayContaining(['Bulk Ünï.m1', 'Bulk Ünï.m2', 'Bulk Ünï.m3']))
    await saveSoftRelation(target.db, state.db, {
      schema: 'Bulk Ünï', table: 'm1', columns: ['club_id'], refSchema: 'Bulk Ünï', refTable: 'club', refColumns: ['id'], status: 'accepted', origin: 'suggestion', by: 'operator@test.local',
    })
    expect(await decideAllSuggestions(target.db, state.db, { status: 'dismissed', by: 'operator@test.local' })).toBe(before.length - 1)
    expect(await open()).toEqual([])
    const bulk = (await listSoftRelations(state.db, await key())).filter((s) => s.schema === 'Bulk Ünï').map((s) => [s.table, s.status, s.origin])
    expect(bulk).toEqual([
      ['m1', 'accepted', 'suggestion'],
      ['m2', 'dismissed', 'suggestion'],
      ['m3', 'dismissed', 'suggestion'],
    ])
    expect(await decideAllSuggestions(target.db, state.db, { status: 'accepted', by: 'operator@test.local' })).toBe(0)
  })
})

describe('the DoR presets on a database that only looks like DoR-Dash', () => {
  it('skips a preset whose columns are missing or of another kind, and checks it once they fit', async () => {
    await sql`create table meeting (code text primary key, id uuid)`.execute(target.db)
    await sql`create table agenda_item (id int primary key, meeting_id text)`.execute(target.db)
    const presetTables = async () => (await relationsToCheck(target.db, state.db)).filter((r) => r.source === 'soft').map((r) => r.table)
    expect(await presetTables()).not.toContain('agenda_item')
    const { findings } = await runChecks(await planChecks(target.db, state.db))
    expect(findings.filter((f) => f.error)).toEqual([])

    await sql`alter table meeting drop column id`.execute(target.db)
    expect(await presetTables()).not.toContain('agenda_item')
    await sql`alter table meeting add column id bigint unique`.execute(target.db)
    await sql`alter table agenda_item alter column meeting_id type int using null`.execute(target.db)
    expect(await presetTables()).toContain('agenda_item')
  })
})
