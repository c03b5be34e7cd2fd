import { sql } from 'kysely'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { freshStateDb } from '../../test/state-db'
import { applyMigrations, planApply, rollbackLast } from './runner'
import { acknowledgeEdit, listRuns } from './run-store'
import { migrationStatus, OUTSIDE } from './status'
import {
  historyNames,
  relationExists,
  sqlMigration,
  type StateDb,
  tableNames,
  type TestTarget,
  testSet,
  testTarget,
} from './test-migration-sets'

let state: StateDb
const targets: TestTarget[] = []

beforeAll(async () => {
  state = await freshStateDb()
})
afterEach(async () => {
  await Promise.all(targets.splice(0).map((t) => t.drop()))
})
afterAll(async () => {
  await state?.drop()
})

async function target(): Promise<TestTarget> {
  const t = await testTarget(state, 'mfail')
  targets.push(t)
  return t
}

const N = ['20250101_000001_t1', '20250101_000002_t2', '20250101_000003_t3', '20250101_000004_t4', '20250101_000005_t5']
const table = (i: number) => sqlMigration(sql`create table ${sql.table(`t${i}`)} (id int)`, sql`drop table ${sql.table(`t${i}`)}`)

/** Five migrations whose third creates t3 and then divides by zero. */
const fiveWithBadThird = () =>
  testSet({
    [N[0]]: table(1),
    [N[1]]: table(2),
    [N[2]]: sqlMigration([sql`create table t3 (id int)`, sql`select 1/0`], sql`drop table t3`),
    [N[3]]: table(4),
    [N[4]]: table(5),
  })

/** The three views of "applied" agree: status, the target's migration table, the history. */
async function expectAppliedEverywhere(t: TestTarget, set: ReturnType<typeof testSet>, names: string[]) {
  const s = await migrationStatus(t.db, state.db, set)
  expect(s.migrations.filter((m) => m.state === 'applied').map((m) => m.name)).toEqual(names)
  expect(await tableNames(t.db, set)).toEqual(names)
  expect(await historyNames(state.db, s.target.key)).toEqual(names)
}

describe('a failing migration in the middle of a run', () => {
  it('keeps the first two applied, rolls back the 3rd with its full error and leaves the last two pending', async () => {
    const t = await target()
    const set = fiveWithBadThird()
    const r = await applyMigrations(t.opts(set), { all: true })

    expect(r.ok).toBe(false)
    expect(r.steps.map((s) => [s.name, s.direction, s.ok])).toEqual([
      [N[0], 'up', true],
      [N[1], 'up', true],
      [N[2], 'up', false],
    ])
    expect(r.steps[2].error).toBe('division by zero\nSQLSTATE 22012')
    expect(r.notRun).toEqual([N[3], N[4]])
    expect(r.message).toBe(`${N[2]} failed and was rolled back; ${N[0]}, ${N[1]} stay applied; ${N[3]}, ${N[4]} not run.`)

    expect(await tableNames(t.db, set)).toEqual([N[0], N[1]])
    expect(await relationExists(t.db, 't1')).toBe(true)
    expect(await relationExists(t.db, 't2')).toBe(true)
    expect(await relationExists(t.db, 't3')).toBe(false)
    expect(await relationExists(t.db, 't4')).toBe(false)
    const s = await migrationStatus(t.db, state.db, set)
    expect(s.pending).toEqual([N[2], N[3], N[4]])
    expect(s.lastApplied).toBe(N[1])

    const [run] = await listRuns(state.db, { targetKey: s.target.key, lockHeld: false })
    expect(run).toMatchObject({ id: r.runId, kind: 'apply', status: 'failed', error: `${N[2]}: division by zero\nSQLSTATE 22012` })
    expect(run.steps.map((x) => [x.name, x.status, x.error])).toEqual([
      [N[0], 'succeeded', null],
      [N[1], 'succeeded', null],
      [N[2], 'failed', 'division by zero\nSQLSTATE 22012'],
    ])
  })

  it('reports nothing as applied that was rolled back: status, migration table and history agree', async () => {
    const t = await target()
    const set = fiveWithBadThird()
    await applyMigrations(t.opts(set), { all: true })
    await expectAppliedEverywhere(t, set, [N[0], N[1]])

    expect(await rollbackLast(t.opts(set), N[1])).toMatchObject({ ok: true, message: `Rolled back ${N[1]}.` })
    await expectAppliedEverywhere(t, set, [N[0]])
    expect(await relationExists(t.db, 't2')).toBe(false)

    // A down that fails leaves the migration applied in all three places.
    const badDown = testSet({ [N[0]]: sqlMigration(sql`create table t1 (id int)`, [sql`drop table t1`, sql`select 1/0`]) })
    const r = await rollbackLast(t.opts(badDown), N[0])
    expect(r).toMatchObject({ ok: false, notRun: [], message: `${N[0]} failed and was rolled back.` })
    expect(r.steps).toEqual([{ name: N[0], direction: 'down', ok: false, error: 'division by zero\nSQLSTATE 22012' }])
    await expectAppliedEverywhere(t, badDown, [N[0]])
    expect(await relationExists(t.db, 't1')).toBe(true)
  })
})

describe('a migration declared non-transactional', () => {
  const index = (transactional: boolean) => ({
    [N[0]]: sqlMigration(sql`create table big (id int)`, sql`drop table big`),
    [N[1]]: sqlMigration(
      sql`create index concurrently big_id_idx on big (id)`,
      sql`drop index concurrently big_id_idx`,
      transactional ? {} : { transactional: false },
    ),
  })

  it('runs CREATE INDEX CONCURRENTLY outside a transaction, and rolls it back the same way', async () => {
    const t = await target()
    const set = testSet(index(false))
    expect(set.defs.map((d) => d.transactional)).toEqual([true, false])
    expect(await applyMigrations(t.opts(set), { all: true })).toMatchObject({ ok: true, message: `Applied ${N[0]}, ${N[1]}.` })
    expect(await relationExists(t.db, 'big_id_idx')).toBe(true)
    const s = await migrationStatus(t.db, state.db, set)
    expect(s.migrations.map((m) => [m.name, m.state, m.transactional])).toEqual([
      [N[0], 'applied', true],
      [N[1], 'applied', false],
    ])

    expect(await rollbackLast(t.opts(set), N[1])).toMatchObject({ ok: true })
    expect(await relationExists(t.db, 'big_id_idx')).toBe(false)
    expect(await tableNames(t.db, set)).toEqual([N[0]])
  })

  it('fails the same SQL when it is not declared, because it cannot run in a transaction', async () => {
    const t = await target()
    const set = testSet(index(true))
    const r = await applyMigrations(t.opts(set), { all: true })
    expect(r.steps.map((s) => s.ok)).toEqual([true, false])
    expect(r.steps[1].error).toBe('CREATE INDEX CONCURRENTLY cannot run inside a transaction block\nSQLSTATE 25001')
    expect(await tableNames(t.db, set)).toEqual([N[0]])
    expect(await relationExists(t.db, 'big_id_idx')).toBe(false)
  })
})

describe('a migration without a working down', () => {
  it('is flagged no_down and refuses rollback, whether down is missing or declared irreversible', async () => {
    const t = await target()
    const set = testSet({
      [N[0]]: table(1),
      [N[1]]: sqlMigration(sql`create table t2 (id int)`),
      [N[2]]: sqlMigration(sql`create table t3 (id int)`, sql`drop table t3`, { irreversible: 'drops data' }),
    })
    expect(await applyMigrations(t.opts(set), { to: N[1] })).toMatchObject({ ok: true })
    const s = await migrationStatus(t.db, state.db, set)
    expect(s.migrations.map((m) => [m.name, m.irreversibleReason, m.flags.map((f) => [f.code, f.message])])).toEqual([
      [N[0], null, []],
      [N[1], 'it has no down migration', [['no_down', 'Cannot be rolled back: it has no down migration.']]],
      [N[2], 'drops data', [['no_down', 'Cannot be rolled back: drops data.']]],
    ])
    expect(s.migrations[1].flags[0].advice).toBe(
      'Take a backup before applying it; to undo it, restore the backup or write a new migration.',
    )

    const runsBefore = (await listRuns(state.db, { targetKey: s.target.key })).length
    const noDown = rollbackLast(t.opts(set), N[1])
    await expect(noDown).rejects.toThrow(`${N[1]} cannot be rolled back: it has no down migration.`)
    await expect(noDown).rejects.toMatchObject({ code: 'conflict' })

    expect(await applyMigrations(t.opts(set), { next: true })).toMatchObject({ ok: true, message: `Applied ${N[2]}.` })
    await expect(rollbackLast(t.opts(set), N[2])).rejects.toThrow(`${N[2]} cannot be rolled back: drops data.`)
    expect(await tableNames(t.db, set)).toEqual(N.slice(0, 3))
    expect((await listRuns(state.db, { targetKey: s.target.key })).length).toBe(runsBefore + 1)
  })
})

describe('an applied migration edited afterwards', () => {
  it('blocks apply until an admin acknowledges that exact checksum', async () => {
    const t = await target()
    const v1 = testSet({ [N[0]]: table(1), [N[1]]: table(2) })
    await applyMigrations(t.opts(v1), { all: true })
    const index2 = { [N[0]]: table(1), [N[1]]: table(2), [N[2]]: table(3) }
    const v2 = testSet(index2, { [N[0]]: 'sum:edited' })

    let s = await migrationStatus(t.db, state.db, v2)
    expect(s.blockingEdits).toEqual([N[0]])
    expect(s.migrations[0]).toMatchObject({ checksum: 'sum:edited', appliedChecksum: `sum:${N[0]}` })
    expect(s.migrations[0].flags.map((f) => [f.code, f.message])).toEqual([
      ['edited_after_apply', 'Its source changed after it was applied.'],
    ])
    expect(s.migrations[1].flags).toEqual([])
    await expect(applyMigrations(t.opts(v2), { all: true })).rejects.toThrow(
      `Apply is blocked: ${N[0]} changed after it was applied. Restore the file, or have an admin acknowledge the edit.`,
    )
    expect(await tableNames(t.db, v2)).toEqual([N[0], N[1]])

    const by = { id: state.users.admin.id, label: state.users.admin.email, source: 'dashboard' as const }
    await acknowledgeEdit(state.db, { target: s.target, name: N[0], checksum: 'sum:edited', by })
    s = await migrationStatus(t.db, state.db, v2)
    expect(s.blockingEdits).toEqual([])
    expect(s.migrations[0].flags).toEqual([])
    expect(await applyMigrations(t.opts(v2), { all: true })).toMatchObject({ ok: true, message: `Applied ${N[2]}.` })

    // The acknowledgement covers that checksum only: a further edit blocks again.
    const v3 = testSet(index2, { [N[0]]: 'sum:edited-again' })
    expect((await migrationStatus(t.db, state.db, v3)).blockingEdits).toEqual([N[0]])
  })

  it('never flags a migration applied outside the dashboard, which has no recorded checksum', async () => {
    const t = await target()
    const v1 = testSet({ [N[0]]: table(1) })
    await applyMigrations(t.opts(v1), { all: true })
    await t.db.insertInto('test_migration').values({ name: N[1], timestamp: new Date().toISOString() }).execute()
    const v2 = testSet({ [N[0]]: table(1), [N[1]]: table(2) }, { [N[1]]: 'sum:whatever' })
    const s = await migrationStatus(t.db, state.db, v2)
    expect(s.migrations[1]).toMatchObject({ state: 'applied', appliedBy: OUTSIDE, appliedChecksum: null, flags: [] })
    expect(s.blockingEdits).toEqual([])
  })
})

describe('an applied migration missing from the code', () => {
  it('is listed as applied and flagged, and cannot be rolled back', async () => {
    const t = await target()
    const v1 = testSet({ [N[0]]: table(1), [N[1]]: table(2) })
    await applyMigrations(t.opts(v1), { all: true })
    const v2 = testSet({ [N[0]]: table(1), [N[2]]: table(3) })

    const s = await migrationStatus(t.db, state.db, v2)
    expect(s.migrations.map((m) => m.name)).toEqual([N[0], N[1], N[2]])
    expect(s.migrations[1]).toMatchObject({
      name: N[1],
      state: 'applied',
      checksum: null,
      appliedChecksum: `sum:${N[1]}`,
      appliedBy: state.users.admin.email,
      irreversibleReason: 'its code is missing',
    })
    expect(s.migrations[1].flags.map((f) => [f.code, f.message])).toEqual([
      ['missing_from_code', 'Recorded as applied in the database, but not in the code.'],
    ])
    expect(s.lastApplied).toBe(N[1])
    await expect(rollbackLast(t.opts(v2), N[1])).rejects.toThrow(`${N[1]} cannot be rolled back: its code is missing.`)

    await expect(applyMigrations(t.opts(v2), { all: true })).rejects.toThrow(
      `Apply is blocked: ${N[1]} is recorded as applied but missing from the code.`,
    )
    expect(await tableNames(t.db, v2)).toEqual([N[0], N[1]])
  })
})

describe('out-of-order and colliding names', () => {
  it('flags a pending migration older than the newest applied one and refuses to apply it', async () => {
    const t = await target()
    await applyMigrations(t.opts(testSet({ [N[0]]: table(1), [N[2]]: table(3) })), { all: true })
    const merged = testSet({ [N[0]]: table(1), [N[1]]: table(2), [N[2]]: table(3), [N[3]]: table(4) })

    const s = await migrationStatus(t.db, state.db, merged)
    expect(s.pending).toEqual([N[1], N[3]])
    expect(s.migrations.map((m) => m.flags.map((f) => [f.code, f.message]))).toEqual([
      [],
      [['out_of_order', `Pending, but older than the newest applied migration (${N[2]}).`]],
      [],
      [],
    ])
    const refusal = `${N[1]} is older than the newest applied migration (${N[2]}); rename with a newer timestamp before applying.`
    expect(() => planApply(s.pending, s.lastApplied, { all: true })).toThrow(refusal)
    await expect(applyMigrations(t.opts(merged), { all: true })).rejects.toThrow(refusal)
    await expect(applyMigrations(t.opts(merged), { to: N[3] })).rejects.toThrow(refusal)
    expect(await tableNames(t.db, merged)).toEqual([N[0], N[2]])
  })

  it('flags both migrations of a timestamp or case-insensitive name collision', async () => {
    const t = await target()
    const a = '20250101_000001_add_users'
    const b = '20250101_000001_add_meetings'
    const set = testSet({ [a]: table(1), [b]: table(2), add_notes: table(3), Add_Notes: table(4), '20250101_000009_ok': table(5) })
    const s = await migrationStatus(t.db, state.db, set)
    const flags = Object.fromEntries(s.migrations.map((m) => [m.name, m.flags.map((f) => [f.code, f.message])]))
    expect(flags).toEqual({
      [b]: [['name_collision', `Its name or timestamp collides with ${a}.`]],
      [a]: [['name_collision', `Its name or timestamp collides with ${b}.`]],
      '20250101_000009_ok': [],
      Add_Notes: [['name_collision', 'Its name or timestamp collides with add_notes.']],
      add_notes: [['name_collision', 'Its name or timestamp collides with Add_Notes.']],
    })
  })
})


describe('a failed first apply on a database whose tables were made outside the migrations', () => {
  it('removes the migration tables the run created, and says so', async () => {
    const t = await target()
    await sql`create table t1 (id int)`.execute(t.db)
    const set = testSet({ [N[0]]: table(1), [N[1]]: table(2) })
    const r = await applyMigrations(t.opts(set), { all: true })
    expect(r).toMatchObject({ ok: false, notRun: [N[1]] })
    expect(r.steps[0].error).toMatch(/^relation "t1" already exists\nSQLSTATE 42P07/)
    expect(r.message).toBe(
      `${N[0]} failed and was rolled back; ${N[1]} not run. test_migration and test_migration_lock, which this run had created, were removed: the target is as before.`,
    )
    expect(await relationExists(t.db, 'test_migration')).toBe(false)
    expect(await relationExists(t.db, 'test_migration_lock')).toBe(false)
    const [run] = await listRuns(state.db, { targetKey: (await migrationStatus(t.db, state.db, set)).target.key, lockHeld: false })
    expect(run.error).toContain('test_migration and test_migration_lock, which this run had created, were removed')
  })

  it('keeps migration tables that were there before the run', async () => {
    const t = await target()
    const set = testSet({ [N[0]]: table(1), [N[1]]: table(2) })
    await applyMigrations(t.opts(testSet({ [N[0]]: table(1) })), { all: true })
    await sql`delete from test_migration`.execute(t.db)
    const r = await applyMigrations(t.opts(set), { all: true })
    expect(r.ok).toBe(false)
    expect(r.message).toBe(`${N[0]} failed and was rolled back; ${N[1]} not run.`)
    expect(await relationExists(t.db, 'test_migration')).toBe(true)
    expect(await relationExists(t.db, 'test_migration_lock')).toBe(true)
  })
})
