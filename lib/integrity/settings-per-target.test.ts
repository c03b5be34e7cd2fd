import { type Kysely, Migrator, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { STATE_MIGRATION_LOCK_TABLE, STATE_MIGRATION_TABLE, stateMigrations } from '@/db/migrations'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { freshStateDb } from '../../test/state-db'
import { StaticMigrationProvider } from '../db/static-migration-provider'
import { type TargetIdentity, targetIdentity } from '../db/target-identity'
import { adoptUnkeyedRows, hasUnkeyedRows } from '../state/adopt-unkeyed'
import { migrateStateDb } from '../state/migrate-state'
import { deleteEnumSet, listEnumSets, saveEnumSet } from './enum-sets'
import { decideAllSuggestions } from './relation-suggestions'
import { relationsToCheck } from './relations'
import { deleteRoleRule, listRoleRules, saveRoleRule } from './role-rules'
import { planChecks, runChecks } from './run-checks'
import { deleteSoftRelation, listSoftRelations, saveSoftRelation } from './soft-relations'

// Two targets sharing one state database (issue 11): role rules, soft relations, dismissed
// suggestions and value sets of one are neither listed nor checked for the other.
let a: FreshDatabase
let b: FreshDatabase
let ia: TargetIdentity
let ib: TargetIdentity
let state: Awaited<ReturnType<typeof freshStateDb>>

const PRESET_ROLES = [
  ['meeting', 'created_by', ['FACULTY', 'SECRETARY', 'ADMIN']],
  ['registration_request', 'processed_by', ['SECRETARY', 'ADMIN', 'FACULTY']],
]
const PRESET_RELATIONS = [
  ['agenda_item', 'meeting', 'preset'],
  ['fileupload', 'agenda_item', 'preset'],
]
const roles = async (s: { db: Kysely<any> }, key: string) => (await listRoleRules(s.db, key)).map((r) => [r.table, r.column, r.allowed])
const relations = async (s: { db: Kysely<any> }, key: string) => (await listSoftRelations(s.db, key)).map((r) => [r.table, r.refTable, r.origin])

beforeAll(async () => {
  ;[a, b, state] = await Promise.all([freshDatabase('settings_a'), freshDatabase('settings_b'), freshStateDb()])
  for (const t of [a, b]) {
    await sql`create table "user" (id int primary key, role text)`.execute(t.db)
    await sql`insert into "user" values (1, 'ADMIN'), (2, 'STUDENT')`.execute(t.db)
    await sql`create table report (id int primary key, author_id int)`.execute(t.db)
    await sql`insert into report values (1, 2)`.execute(t.db)
    await sql`create table team (id int primary key)`.execute(t.db)
    // No naming link to team: only a soft relation makes it checked.
    await sql`create table player (id int primary key, squad int)`.execute(t.db)
    await sql`insert into player values (1, 99)`.execute(t.db)
    await sql`create table club (id int primary key)`.execute(t.db)
    await sql`create table club_member (id int primary key, club_id int)`.execute(t.db)
    await sql`insert into club_member values (1, 7)`.execute(t.db)
    await sql`create table ticket (id int primary key, status text)`.execute(t.db)
    await sql`insert into ticket values (1, 'open'), (2, 'weird')`.execute(t.db)
  }
  ;[ia, ib] = await Promise.all([targetIdentity(a.db), targetIdentity(b.db)])
}, 120_000)
afterAll(async () => {
  await a?.drop()
  await b?.drop()
  await state?.drop()
})

describe('Integrity settings of two targets sharing a state database', () => {
  it('are listed, changed and checked for their own target only', async () => {
    expect(ia.key).not.toBe(ib.key)
    await saveRoleRule(a.db, state.db, { table: 'report', column: 'author_id', what: 'reports written', allowed: ['admin'], by: 'op@test.local' })
    await saveSoftRelation(a.db, state.db, {
      schema: 'public', table: 'player', columns: ['squad'], refSchema: 'public', refTable: 'team', refColumns: ['id'],
      status: 'accepted', origin: 'manual', by: 'op@test.local',
    })
    await saveEnumSet(a.db, state.db, { schema: 'public', table: 'ticket', column: 'status', values: ['open'], by: 'op@test.local' })
    expect(await decideAllSuggestions(a.db, state.db, { status: 'dismissed', by: 'op@test.local' })).toBe(1)

    // Each target has the DoR presets; only A has what was saved on A.
    expect(await roles(state, ia.key)).toEqual([...PRESET_ROLES, ['report', 'author_id', ['ADMIN']]])
    expect(await roles(state, ib.key)).toEqual(PRESET_ROLES)
    expect(await relations(state, ia.key)).toEqual([...PRESET_RELATIONS, ['player', 'team', 'manual'], ['club_member', 'club', 'suggestion']])
    expect(await relations(state, ib.key)).toEqual(PRESET_RELATIONS)
    expect((await listEnumSets(state.db, ia.key)).map((s) => s.values)).toEqual([['open']])
    expect(await listEnumSets(state.db, ib.key)).toEqual([])

    // A's dismissal does not hide the suggestion on B.
    const sources = async (t: FreshDatabase) => (await relationsToCheck(t.db, state.db)).map((r) => [r.table, r.source])
    expect(await sources(a)).toEqual([['player', 'soft']])
    expect(await sources(b)).toEqual([['club_member', 'suggested']])

    // An integrity run of each uses its own settings only.
    const found = async (t: FreshDatabase) =>
      (await runChecks(await planChecks(t.db, state.db))).findings
        .filter((f) => ['orphans', 'role_not_allowed', 'enum_values'].includes(f.check) && (f.count ?? 0) > 0)
        .map((f) => [f.check, f.table])
        .sort()
    expect(await found(a)).toEqual([['enum_values', 'ticket'], ['orphans', 'player'], ['role_not_allowed', 'report']])
    expect(await found(b)).toEqual([['orphans', 'club_member']])

    // Another target's setting is not found by id, so not deleted.
    const [rule] = (await listRoleRules(state.db, ia.key)).filter((r) => r.table === 'report')
    const [rel] = (await listSoftRelations(state.db, ia.key)).filter((r) => r.table === 'player')
    const [set] = await listEnumSets(state.db, ia.key)
    expect(await deleteRoleRule(state.db, rule.id, ib.key)).toBe(false)
    expect(await deleteSoftRelation(state.db, rel.id, ib.key)).toBe(false)
    expect(await deleteEnumSet(state.db, set.id, ib.key)).toBe(false)
    expect(await roles(state, ia.key)).toHaveLength(3)

    // The same column may have a rule on each target; a deleted preset stays deleted.
    await saveRoleRule(b.db, state.db, { table: 'report', column: 'author_id', what: 'reports', allowed: ['STUDENT'], by: 'admin@test.local' })
    const preset = (await listRoleRules(state.db, ib.key)).find((r) => r.table === 'meeting')!
    expect(await deleteRoleRule(state.db, preset.id, ib.key)).toBe(true)
    expect(await roles(state, ib.key)).toEqual([PRESET_ROLES[1], ['report', 'author_id', ['STUDENT']]])
    expect(await roles(state, ia.key)).toEqual([...PRESET_ROLES, ['report', 'author_id', ['ADMIN']]])
  })
})

const stateMigrator = (db: Kysely<any>) =>
  new Migrator({
    db,
    provider: new StaticMigrationProvider(stateMigrations),
    migrationTableName: STATE_MIGRATION_TABLE,
    migrationLockTableName: STATE_MIGRATION_LOCK_TABLE,
  })

/** A state database as it was before settings had keys, changed by `before`, then upgraded. */
async function upgradedState(before: (db: Kysely<any>) => Promise<void>): Promise<FreshDatabase> {
  const legacy = await freshDatabase('legacy_state')
  const { error } = await stateMigrator(legacy.db).migrateTo('20261203_000027_alert_notice')
  if (error) throw error
  await before(legacy.db)
  await migrateStateDb(legacy.db)
  return legacy
}

describe('settings recorded before they had target keys', () => {
  it('are nothing to adopt on a fresh install: each target gets the presets', async () => {
    const fresh = await upgradedState(async () => {})
    try {
      expect(await hasUnkeyedRows(fresh.db)).toBe(false)
      expect(await roles(fresh, ia.key)).toEqual(PRESET_ROLES)
      expect(await roles(fresh, ib.key)).toEqual(PRESET_ROLES)
      expect(await relations(fresh, ib.key)).toEqual(PRESET_RELATIONS)
      // Down keeps one of the settings both targets have, as they were unique before; up again finds untouched presets.
      const down = await stateMigrator(fresh.db).migrateTo('20261203_000027_alert_notice')
      expect(down.error).toBeUndefined()
      expect((await sql<{ table: string }>`select "table" from role_rule order by 1`.execute(fresh.db)).rows.map((r) => r.table)).toEqual(['meeting', 'registration_request'])
      await migrateStateDb(fresh.db)
      expect(await hasUnkeyedRows(fresh.db)).toBe(false)
      expect(await roles(fresh, ia.key)).toEqual(PRESET_ROLES)
    } finally {
      await fresh.drop()
    }
  })

  it('go to the first target reached, which keeps what admins changed; the next target gets fresh presets', async () => {
    // The presets of the old migrations, changed by admins, all unkeyed.
    const legacy = await upgradedState(async (db) => {
      await sql`update role_rule set allowed = array['ADMIN'], created_by = 'admin' where "table" = 'meeting'`.execute(db)
      await sql`delete from soft_relation where "table" = 'fileupload'`.execute(db)
      await sql`insert into enum_column_set (schema, "table", "column", "values", created_by) values ('public', 'ticket', 'status', array['open'], 'admin')`.execute(db)
      await sql`insert into soft_relation (schema, "table", columns, ref_schema, ref_table, ref_columns, status, origin, created_by)
        values ('public', 'club_member', array['club_id'], 'public', 'club', array['id'], 'dismissed', 'suggestion', 'admin')`.execute(db)
    })
    try {
      expect(await hasUnkeyedRows(legacy.db)).toBe(true)
      expect(await adoptUnkeyedRows(legacy.db, ia)).toBe(5)
      expect(await hasUnkeyedRows(legacy.db)).toBe(false)
      expect(await roles(legacy, ia.key)).toEqual([['meeting', 'created_by', ['ADMIN']], PRESET_ROLES[1]])
      // The preset deleted before the upgrade stays deleted.
      expect(await relations(legacy, ia.key)).toEqual([PRESET_RELATIONS[0], ['club_member', 'club', 'suggestion']])
      expect((await listEnumSets(legacy.db, ia.key)).map((s) => [s.table, s.values])).toEqual([['ticket', ['open']]])

      expect(await adoptUnkeyedRows(legacy.db, ib)).toBe(0)
      expect(await roles(legacy, ib.key)).toEqual(PRESET_ROLES)
      expect(await relations(legacy, ib.key)).toEqual(PRESET_RELATIONS)
      expect(await listEnumSets(legacy.db, ib.key)).toEqual([])
    } finally {
      await legacy.drop()
    }
  })

  it('leaves a setting the target already has to the unkeyed ones: the target keeps its own', async () => {
    const legacy = await upgradedState(async (db) => {
      await sql`update role_rule set allowed = array['ADMIN'], created_by = 'admin'`.execute(db)
    })
    try {
      // A read before adoption seeds the target's own presets.
      expect(await roles(legacy, ia.key)).toEqual(PRESET_ROLES)
      expect(await adoptUnkeyedRows(legacy.db, ia)).toBe(0)
      expect(await roles(legacy, ia.key)).toEqual(PRESET_ROLES)
      // The next target takes the old rows, and with them the mark that its presets were decided.
      expect(await adoptUnkeyedRows(legacy.db, ib)).toBe(4)
      expect(await roles(legacy, ib.key)).toEqual(PRESET_ROLES.map(([t, c]) => [t, c, ['ADMIN']]))
      expect(await hasUnkeyedRows(legacy.db)).toBe(false)
    } finally {
      await legacy.drop()
    }
  })
})
