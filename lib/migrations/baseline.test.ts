import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { alembicTo, fixtureSettings, REV } from '../../test/alembic-fixture'
import { freshStateDb } from '../../test/state-db'
import { targetIdentity } from '../db/target-identity'
import { baselineChain } from './baseline'
import { dryRun } from './dry-run'
import { recordDecision } from './management'
import { rehearseRollbacks } from './rehearsal'
import { detectDrift, replayCheck } from './replay'
import { listRuns } from './run-store'
import { applyMigrations, rollbackLast } from './runner'
import { migrationStatus } from './status'
import { relationExists, sqlMigration, type StateDb, tableNames, type TestTarget, testSet, testTarget } from './test-migration-sets'

// Our chain building what the fixture Alembic project builds, then one migration of its own.
const N = ['20250101_000001_users', '20250101_000002_meetings', '20250101_000003_secretary', '20250101_000004_agenda']
const set = testSet({
  [N[0]]: sqlMigration(
    [sql`create type userrole as enum ('STUDENT', 'FACULTY', 'ADMIN')`, sql`create table "user" (id serial primary key, email text not null unique, role userrole not null)`],
    [sql`drop table "user"`, sql`drop type userrole`],
  ),
  [N[1]]: sqlMigration(
    [sql`alter table "user" add column full_name text`, sql`create table meeting (id serial primary key, title text not null, starts_at timestamptz)`],
    [sql`drop table meeting`, sql`alter table "user" drop column full_name`],
  ),
  [N[2]]: sqlMigration(sql`alter type userrole add value 'SECRETARY'`, null, { irreversible: 'enum labels cannot be dropped' }),
  [N[3]]: sqlMigration(sql`create table agenda_item (id serial primary key, meeting_id int references meeting (id))`, sql`drop table agenda_item`),
})
const alembic = fixtureSettings()
const PG_BIN = '/usr/lib/postgresql/15/bin'

let state: StateDb
beforeAll(async () => {
  state = await freshStateDb()
})
afterAll(() => state?.drop())

async function alembicManaged(revision: string): Promise<TestTarget> {
  const t = await testTarget(state, 'adopt')
  await alembicTo(alembic, t.url, revision)
  return t
}

async function ourTablesExist(t: TestTarget): Promise<boolean> {
  return (await relationExists(t.db, set.table)) || (await relationExists(t.db, set.lockTable)) || (await relationExists(t.db, 'kysely_migration'))
}

describe('a database managed by Alembic', () => {
  let t: TestTarget
  beforeAll(async () => {
    t = await alembicManaged('head')
  })
  afterAll(() => t?.drop())

  it('is recognised first, and the chain is not presented as pending work', async () => {
    const s = await migrationStatus(t.db, state.db, set)
    expect(s.management).toMatchObject({ mode: 'other_tool', chainAdopted: false })
    expect(s.management.headline).toBe(`Managed by Alembic (public.alembic_version): at ${REV.secretary}, one head.`)
    expect(s.pending).toEqual([])
    expect(s.migrations.map((m) => m.state)).toEqual(['not_adopted', 'not_adopted', 'not_adopted', 'not_adopted'])
  })

  it('no path of the chain creates its migration tables there: apply, dry run, rehearsal and drift refuse; replay and rollback leave it alone', async () => {
    const refused = { code: 'conflict', message: expect.stringMatching(/^Managed by Alembic \(public\.alembic_version\): at 5e6f708192a3, one head\. The DoR migrations are not applied to it/) }
    await expect(applyMigrations(t.opts(set), { all: true })).rejects.toMatchObject(refused)
    await expect(applyMigrations(t.opts(set), { next: true })).rejects.toMatchObject(refused)
    await expect(dryRun(t.opts(set), { all: true })).rejects.toMatchObject(refused)
    const check = { targetUrl: t.url, target: t.db, state: state.db, set, actor: t.opts(set).actor, pgBinDir: PG_BIN }
    await expect(rehearseRollbacks(check)).rejects.toMatchObject(refused)
    await expect(detectDrift(check)).rejects.toMatchObject(refused)
    expect((await replayCheck(check)).ok).toBe(true)
    await expect(rollbackLast(t.opts(set), N[0])).rejects.toMatchObject({ message: 'Nothing to roll back: no migration is applied.' })
    await migrationStatus(t.db, state.db, set)
    expect(await ourTablesExist(t)).toBe(false)
  })

  it('is adopted by a baseline whose replay equals the live schema; later migrations apply on top', async () => {
    const r = await baselineChain({ targetUrl: t.url, state: state.db, set, actor: t.opts(set).actor, to: N[2], acceptDifferences: false })
    expect(r).toMatchObject({ recorded: true, migrations: N.slice(0, 3), differences: [] })
    expect(r.message).toBe(`Baselined 3 migrations up to ${N[2]}: the live schema is exactly what the chain builds.`)
    expect(await tableNames(t.db, set)).toEqual(N.slice(0, 3))
    const s = await migrationStatus(t.db, state.db, set)
    expect(s.management.mode).toBe('ours')
    expect(s.pending).toEqual([N[3]])
    expect(s.migrations.slice(0, 3).map((m) => [m.state, m.baseline, m.appliedBy])).toEqual(Array(3).fill(['applied', true, state.users.admin.email]))
    const [run] = await listRuns(state.db, { targetKey: (await targetIdentity(t.db)).key, limit: 1, lockHeld: false })
    expect(run).toMatchObject({ kind: 'baseline', status: 'succeeded', report: { baseline: true, to: N[2], accepted: false } })
    expect(run.steps.map((x) => x.name)).toEqual(N.slice(0, 3))

    const applied = await applyMigrations(t.opts(set), { all: true })
    expect(applied).toMatchObject({ ok: true, message: `Applied ${N[3]}.` })
    expect(await relationExists(t.db, 'agenda_item')).toBe(true)
    expect((await migrationStatus(t.db, state.db, set)).migrations[3]).toMatchObject({ state: 'applied', baseline: false })
  })

  it('refuses a second baseline once the chain has history', async () => {
    await expect(baselineChain({ targetUrl: t.url, state: state.db, set, actor: t.opts(set).actor, to: N[1], acceptDifferences: false })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('already has DoR migrations applied'),
    })
  })
})

describe('a baseline on a schema that differs', () => {
  let t: TestTarget
  beforeAll(async () => {
    t = await alembicManaged(REV.merge)
  })
  afterAll(() => t?.drop())

  it('is refused with the differences listed, changing nothing; recorded only when they are accepted', async () => {
    const base = { targetUrl: t.url, state: state.db, set, actor: t.opts(set).actor, to: N[2] }
    const refused = await baselineChain({ ...base, acceptDifferences: false })
    expect(refused.recorded).toBe(false)
    expect(refused.differences.map((c) => [c.object, c.change, c.name])).toEqual([['enum_value', 'removed', 'userrole']])
    expect(refused.message).toMatch(new RegExp(`^Not recorded: the live schema differs from what the chain builds up to ${N[2]} in 1 place:\n  removed enum value public\\.userrole: `))
    expect(await ourTablesExist(t)).toBe(false)
    const key = (await targetIdentity(t.db)).key
    expect((await listRuns(state.db, { targetKey: key, limit: 1, lockHeld: false }))[0]).toMatchObject({ kind: 'baseline', status: 'refused' })

    const accepted = await baselineChain({ ...base, acceptDifferences: true })
    expect(accepted.recorded).toBe(true)
    expect(accepted.message).toBe(`Baselined 3 migrations up to ${N[2]}, accepting 1 difference from the live schema (kept with run #${accepted.runId}).`)
    const [run] = await listRuns(state.db, { targetKey: key, limit: 1, lockHeld: false })
    expect(run).toMatchObject({ kind: 'baseline', status: 'succeeded', report: { accepted: true, differences: [{ object: 'enum_value', change: 'removed' }] } })
    expect(await tableNames(t.db, set)).toEqual(N.slice(0, 3))
  })

  it('refuses a name that is not in the chain', async () => {
    const fresh = await alembicManaged(REV.merge)
    try {
      await expect(baselineChain({ targetUrl: fresh.url, state: state.db, set, actor: fresh.opts(set).actor, to: 'nope', acceptDifferences: true })).rejects.toMatchObject({
        code: 'invalid_input',
        message: 'nope is not a migration of the chain.',
      })
      expect(await ourTablesExist(fresh)).toBe(false)
    } finally {
      await fresh.drop()
    }
  })
})

describe('decisions on who migrates a database', () => {
  it('a plain database: the chain applies; "managed elsewhere" hides it until withdrawn', async () => {
    const t = await testTarget(state, 'plain')
    try {
      const identity = await targetIdentity(t.db)
      const actor = t.opts(set).actor
      expect((await migrationStatus(t.db, state.db, set)).management).toMatchObject({ mode: 'none', chainAdopted: true, headline: null })
      await recordDecision(state.db, { target: identity, decision: 'elsewhere', note: 'the app runs its own migrations', by: actor })
      const s = await migrationStatus(t.db, state.db, set)
      expect(s.management.headline).toBe(`Migrations of this database are managed elsewhere (recorded by ${actor.label}: the app runs its own migrations).`)
      expect(s.pending).toEqual([])
      await expect(applyMigrations(t.opts(set), { all: true })).rejects.toMatchObject({ code: 'conflict' })
      expect(await ourTablesExist(t)).toBe(false)
      await recordDecision(state.db, { target: identity, decision: 'auto', by: actor })
      expect((await migrationStatus(t.db, state.db, set)).pending).toEqual(N)
    } finally {
      await t.drop()
    }
  })

  it('an Alembic database whose admin chose our chain: it applies there', async () => {
    const t = await alembicManaged(REV.base)
    try {
      await recordDecision(state.db, { target: await targetIdentity(t.db), decision: 'ours', by: t.opts(set).actor })
      const s = await migrationStatus(t.db, state.db, set)
      expect(s.management.mode).toBe('ours')
      expect(s.pending).toEqual(N)
      // Its first migration collides with what Alembic built: the run fails and removes the tables it made.
      const r = await applyMigrations(t.opts(set), { next: true })
      expect(r.ok).toBe(false)
      expect(r.steps[0].error).toContain('type "userrole" already exists')
    } finally {
      await t.drop()
    }
  })
})
