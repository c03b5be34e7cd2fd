import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshStateDb } from '../../test/state-db'
import { ActionError } from '../auth/action-result'
import { applyMigrations, planApply, rollbackLast } from './runner'
import { listRuns } from './run-store'
import { migrationStatus, OUTSIDE } from './status'
import { sqlMigration, type StateDb, type TestTarget, testSet, testTarget } from './test-migration-sets'

function refusal(f: () => unknown): { code: string; message: string } {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(ActionError)
    return { code: (e as ActionError).code, message: (e as ActionError).message }
  }
  throw new Error('expected a refusal')
}

describe('planApply', () => {
  const pending = ['20250101_000001_a', '20250101_000002_b', '20250101_000003_c']

  it('selects all, the next one, or everything up to a named one', () => {
    expect(planApply(pending, null, { all: true })).toEqual(pending)
    expect(planApply(pending, null, { next: true })).toEqual(['20250101_000001_a'])
    expect(planApply(pending, null, { to: '20250101_000002_b' })).toEqual(['20250101_000001_a', '20250101_000002_b'])
    expect(planApply(pending, null, { to: '20250101_000003_c' })).toEqual(pending)
    expect(planApply(pending, '20250101_000000_z', { all: true })).toEqual(pending)
  })

  it('refuses an unknown or applied name, and an empty plan', () => {
    expect(refusal(() => planApply(pending, null, { to: '20250101_000009_x' }))).toEqual({
      code: 'invalid_input',
      message: '20250101_000009_x is not a pending migration.',
    })
    expect(refusal(() => planApply([], '20250101_000003_c', { all: true }))).toEqual({
      code: 'conflict',
      message: 'Nothing to apply: every migration is applied.',
    })
    expect(refusal(() => planApply([], '20250101_000003_c', { next: true })).message).toBe(
      'Nothing to apply: every migration is applied.',
    )
  })

  it('refuses a plan holding migrations older than the newest applied one', () => {
    expect(refusal(() => planApply(['b', 'd'], 'c', { next: true }))).toEqual({
      code: 'conflict',
      message: 'b is older than the newest applied migration (c); rename with a newer timestamp before applying.',
    })
    expect(refusal(() => planApply(['a', 'b', 'd'], 'c', { to: 'd' })).message).toBe(
      'a, b are older than the newest applied migration (c); rename with a newer timestamp before applying.',
    )
    // Applying only newer ones is impossible while an older one is pending: the plan starts with it.
    expect(refusal(() => planApply(['b', 'd'], 'c', { all: true })).message).toMatch(/^b is older/)
  })
})

describe('migrationStatus: who applied what, and how long it took', () => {
  let state: StateDb
  let t: TestTarget
  const N = ['20250101_000001_a', '20250101_000002_b', '20250101_000003_c', '20250101_000004_d']
  const set = testSet({
    [N[0]]: sqlMigration(sql`create table a (id int)`, sql`drop table a`),
    [N[1]]: sqlMigration([sql`create table b (id int)`, sql`select pg_sleep(0.3)`], sql`drop table b`),
    [N[2]]: sqlMigration(sql`create table c (id int)`, sql`drop table c`),
    [N[3]]: sqlMigration(sql`create table d (id int)`, sql`drop table d`),
  })

  beforeAll(async () => {
    state = await freshStateDb()
    t = await testTarget(state, 'mstat')
  })
  afterAll(async () => {
    await t?.drop()
    await state?.drop()
  })

  it('lists everything pending on an empty database, with no migration table yet', async () => {
    const s = await migrationStatus(t.db, state.db, set)
    expect(s.pending).toEqual(N)
    expect(s.management).toMatchObject({ mode: 'none', chainAdopted: true, headline: null, tools: [] })
    expect(s.lastApplied).toBeNull()
    expect(s.blockingEdits).toEqual([])
    expect(s.migrations[0]).toEqual({
      name: N[0],
      state: 'pending',
      appliedAt: null,
      appliedBy: null,
      durationMs: null,
      baseline: false,
      checksum: `sum:${N[0]}`,
      appliedChecksum: null,
      transactional: true,
      irreversibleReason: null,
      flags: [],
    })
  })

  it('names the dashboard user, the CLI, or "outside the dashboard", and records durations', async () => {
    const admin = state.users.admin.email
    await applyMigrations(t.opts(set), { to: N[1] })
    await applyMigrations(t.opts(set, { actor: { id: null, label: 'cli', source: 'cli' } }), { next: true })
    await t.db.insertInto('test_migration').values({ name: N[3], timestamp: new Date().toISOString() }).execute()

    const s = await migrationStatus(t.db, state.db, set)
    expect(s.pending).toEqual([])
    expect(s.migrations.map((m) => [m.name, m.appliedBy, m.appliedChecksum])).toEqual([
      [N[0], admin, `sum:${N[0]}`],
      [N[1], admin, `sum:${N[1]}`],
      [N[2], 'cli', `sum:${N[2]}`],
      [N[3], OUTSIDE, null],
    ])
    expect(s.migrations.every((m) => m.appliedAt instanceof Date)).toBe(true)

    const slow = s.migrations[1].durationMs!
    expect(slow).toBeGreaterThanOrEqual(290)
    expect(slow).toBeLessThan(10_000)
    expect(s.migrations[0].durationMs).toBeGreaterThanOrEqual(0)
    expect(s.migrations[3].durationMs).toBeNull()

    const runs = await listRuns(state.db, { targetKey: s.target.key })
    expect(runs.map((r) => [r.startedBy, r.source, r.status])).toEqual([
      ['cli', 'cli', 'succeeded'],
      [admin, 'dashboard', 'succeeded'],
    ])
    expect(runs[1].steps.map((x) => x.durationMs)).toEqual([s.migrations[0].durationMs, slow])
    expect(runs[1].durationMs).toBeGreaterThanOrEqual(slow)
  })

  it('forgets who applied a migration once it is rolled back, and names who applied it again', async () => {
    const cli = { id: null, label: 'cli', source: 'cli' as const }
    await t.db.deleteFrom('test_migration').where('name', '=', N[3]).execute()
    expect(await rollbackLast(t.opts(set, { actor: cli }), N[2])).toMatchObject({ ok: true })
    let s = await migrationStatus(t.db, state.db, set)
    expect(s.migrations[2]).toMatchObject({ state: 'pending', appliedBy: null, durationMs: null, appliedChecksum: null })

    await applyMigrations(t.opts(set), { next: true })
    s = await migrationStatus(t.db, state.db, set)
    expect(s.migrations[2]).toMatchObject({ state: 'applied', appliedBy: state.users.admin.email })
  })
})
