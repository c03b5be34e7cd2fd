import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { freshStateDb } from '../../test/state-db'
import { MigrationLockedError, runLockHeld, withRunLock } from './run-lock'
import { applyMigrations, type RunResult } from './runner'
import { createRun, listRuns, type RunActor, startStep } from './run-store'
import { migrationStatus } from './status'
import { targetIdentity } from '../db/target-identity'
import {
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
const cleanups: (() => Promise<unknown>)[] = []

beforeAll(async () => {
  state = await freshStateDb()
})
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
  await Promise.all(targets.splice(0).map((t) => t.drop()))
})
afterAll(async () => {
  await state?.drop()
})

async function target(): Promise<TestTarget> {
  const t = await testTarget(state, 'mconc')
  targets.push(t)
  return t
}

const N = ['20250101_000001_a', '20250101_000002_b', '20250101_000003_c', '20250101_000004_d']
const cli: RunActor = { id: null, label: 'cli', source: 'cli' }

/** The pid of the active migration session of `t` running pg_sleep, once it is there. */
async function sleepingMigrationPid(t: TestTarget): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const { rows } = await sql<{ pid: number }>`
      select pid from pg_stat_activity
       where datname = current_database() and application_name like 'dbadmin migrate:%'
         and state = 'active' and query like '%pg_sleep%'`.execute(t.db)
    if (rows.length === 1) return rows[0].pid
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error('the migration never started sleeping')
}

/** Holds the run lock of another database of the cluster until the test ends. */
async function holdLockElsewhere(url: string, holder: string): Promise<void> {
  let release!: () => void
  const held = new Promise<void>((resolve, reject) => {
    withRunLock(url, holder, () => {
      resolve()
      return new Promise<void>((r) => (release = r))
    }).catch(reject)
  })
  await held
  cleanups.push(async () => release())
}

/** Starts `slow` (first migration sleeps 3 s), then a second apply while it runs. */
async function applyWhileAnotherRuns(t: TestTarget, actors: { a: RunActor; b: RunActor }) {
  const set = testSet({
    [N[0]]: sqlMigration(sql`select pg_sleep(3)`, sql`select 1`),
    [N[1]]: sqlMigration(sql`create table b (id int)`),
  })
  const aStarted = Date.now()
  const a = applyMigrations(t.opts(set, { actor: actors.a }), { all: true })
  await sleepingMigrationPid(t)
  const bStarted = Date.now()
  const b = await applyMigrations(t.opts(set, { actor: actors.b }), { all: true }).catch((e: unknown) => e)
  const bMs = Date.now() - bStarted
  return { a: await a, b, aStarted, bMs, set }
}

function expectRefusal(e: unknown, holder: string, aStarted: number, bMs: number) {
  expect(e).toBeInstanceOf(MigrationLockedError)
  const message = (e as Error).message
  expect(message).toMatch(/^another migration run is in progress, started by .+ at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/)
  expect(message.startsWith(`another migration run is in progress, started by ${holder} at `)).toBe(true)
  const at = Date.parse(message.slice(-23, -4).replace(' ', 'T') + 'Z')
  expect(Math.abs(at - aStarted)).toBeLessThan(10_000)
  expect(bMs).toBeLessThan(1500)
}

describe('two applies at once', () => {
  it('refuses the second at once, naming the dashboard user who holds the lock, and lets the first finish', async () => {
    const t = await target()
    // A run on another database of the same cluster must neither block nor be named.
    await holdLockElsewhere(state.url, 'elsewhere@test.local')
    const admin = { id: state.users.admin.id, label: state.users.admin.email, source: 'dashboard' as const }
    const { a, b, aStarted, bMs, set } = await applyWhileAnotherRuns(t, { a: admin, b: cli })
    expectRefusal(b, admin.label, aStarted, bMs)
    expect(a).toMatchObject({ ok: true, message: `Applied ${N[0]}, ${N[1]}.` })
    expect(await tableNames(t.db, set)).toEqual([N[0], N[1]])
    const runs = await listRuns(state.db, { targetKey: (await targetIdentity(t.db)).key })
    expect(runs.map((r) => [r.startedBy, r.status])).toEqual([[admin.label, 'succeeded']])
  })

  it('names the CLI when the CLI holds the lock', async () => {
    const t = await target()
    const admin = { id: state.users.admin.id, label: state.users.admin.email, source: 'dashboard' as const }
    const { a, b, aStarted, bMs } = await applyWhileAnotherRuns(t, { a: cli, b: admin })
    expectRefusal(b, 'cli', aStarted, bMs)
    expect(a.ok).toBe(true)
  })

  it('tells whether the lock is held on this database only', async () => {
    const t = await target()
    expect(await runLockHeld(t.url)).toBe(false)
    await holdLockElsewhere(state.url, 'elsewhere@test.local')
    expect(await runLockHeld(t.url)).toBe(false)
    expect(await runLockHeld(state.url)).toBe(true)
  })
})

describe('timeouts of the migration session', () => {
  it('fails a migration stuck behind a lock after lock_timeout, with advice, and applies nothing', async () => {
    const t = await target()
    const v1 = testSet({ [N[0]]: sqlMigration(sql`create table x (id int)`) })
    await applyMigrations(t.opts(v1), { all: true })
    const blocker = new pg.Client({ connectionString: t.url })
    await blocker.connect()
    cleanups.push(() => blocker.end())
    const blockerPid = (await blocker.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0].pid
    await blocker.query('begin')
    await blocker.query('lock table x in access exclusive mode')

    const v2 = testSet({
      [N[0]]: sqlMigration(sql`create table x (id int)`),
      [N[1]]: sqlMigration(sql`alter table x add column y int`),
    })
    const started = Date.now()
    const r = await applyMigrations(t.opts(v2, { lockTimeoutMs: 300 }), { all: true })
    expect(Date.now() - started).toBeLessThan(4000)
    expect(r).toMatchObject({ ok: false, notRun: [] })
    expect(r.steps[0].error).toMatch(
      new RegExp(
        `^canceling statement due to lock timeout\nSQLSTATE 55P03\nIt waited longer than lock_timeout \\(300 ms\\) for AccessExclusiveLock on table public\\.x, held by pid ${blockerPid} \\(idle in transaction, for \\d+ s\\) last statement: lock table x in access exclusive mode\\. Nothing was changed; wait for that session to finish or end it \\(select pg_cancel_backend\\(${blockerPid}\\) ends its statement\\), then try again\\.$`,
      ),
    )
    expect(await tableNames(t.db, v2)).toEqual([N[0]])

    // With the schema snapshots (the default) the same: snapshots read no table sizes, so they do
    // not wait for the lock; the migration step fails with the advice.
    const withSnapshot = Date.now()
    const r2 = await applyMigrations(t.opts(v2, { lockTimeoutMs: 300, snapshots: true }), { all: true })
    expect(Date.now() - withSnapshot).toBeLessThan(4000)
    expect(r2.steps[0].error).toMatch(/^canceling statement due to lock timeout\nSQLSTATE 55P03/)
    expect(await tableNames(t.db, v2)).toEqual([N[0]])

    await blocker.query('rollback')
    expect(await applyMigrations(t.opts(v2, { lockTimeoutMs: 300 }), { all: true })).toMatchObject({ ok: true })
  })

  it('cancels a migration running past statement_timeout', async () => {
    const t = await target()
    const set = testSet({ [N[0]]: sqlMigration([sql`create table slow (id int)`, sql`select pg_sleep(5)`]) })
    const started = Date.now()
    const r = await applyMigrations(t.opts(set, { statementTimeoutMs: 500 }), { all: true })
    expect(Date.now() - started).toBeLessThan(4000)
    expect(r.ok).toBe(false)
    expect(r.steps[0].error).toBe(
      'canceling statement due to statement timeout\nSQLSTATE 57014\nIt ran longer than statement_timeout and was cancelled. Nothing was changed.',
    )
    expect(await tableNames(t.db, set)).toEqual([])
    expect(await relationExists(t.db, 'slow')).toBe(false)
  })
})

describe('the server ending the migration session mid-run (as a restart does)', () => {
  it('records nothing as applied, fails the run, releases the lock, and a new apply works', async () => {
    const t = await target()
    const stuck = testSet({
      [N[0]]: sqlMigration(sql`create table r1 (id int)`),
      [N[1]]: sqlMigration([sql`create table r2 (id int)`, sql`select pg_sleep(30)`]),
    })
    const started = Date.now()
    const run = applyMigrations(t.opts(stuck, { snapshots: true }), { all: true }).catch((e: unknown) => e as Error)
    const pid = await sleepingMigrationPid(t)
    await sql`select pg_terminate_backend(${pid})`.execute(t.db)
    const r = (await run) as RunResult
    expect(Date.now() - started).toBeLessThan(15_000)

    expect(r.ok).toBe(false)
    expect(r.steps.map((s) => [s.name, s.ok])).toEqual([
      [N[0], true],
      [N[1], false],
    ])
    expect(r.steps[1].error).toBe('terminating connection due to administrator command\nSQLSTATE 57P01')
    expect(await tableNames(t.db, stuck)).toEqual([N[0]])
    expect(await relationExists(t.db, 'r2')).toBe(false)
    const [failed] = await listRuns(state.db, { targetKey: (await targetIdentity(t.db)).key, lockHeld: false })
    expect(failed).toMatchObject({ id: r.runId, status: 'failed' })

    expect(await runLockHeld(t.url)).toBe(false)
    const fixed = testSet({
      [N[0]]: sqlMigration(sql`create table r1 (id int)`),
      [N[1]]: sqlMigration(sql`create table r2 (id int)`),
    })
    expect(await applyMigrations(t.opts(fixed), { all: true })).toMatchObject({ ok: true, message: `Applied ${N[1]}.` })
    expect((await migrationStatus(t.db, state.db, fixed)).pending).toEqual([])
  })

  it('shows a run whose process died, and the step it was in, as interrupted once no session holds the lock', async () => {
    const t = await target()
    const identity = await targetIdentity(t.db)
    const id = await createRun(state.db, { kind: 'apply', target: identity, actor: cli, requested: { all: true } })
    await startStep(state.db, { runId: id, position: 0, name: N[0], direction: 'up', checksum: null })
    const statusOf = async (lockHeld: boolean) =>
      (await listRuns(state.db, { targetKey: identity.key, lockHeld })).map((r) => [r.id, r.status, r.steps.map((s) => s.status)])
    expect(await statusOf(await runLockHeld(t.url))).toEqual([[id, 'interrupted', ['interrupted']]])
    expect(await statusOf(true)).toEqual([[id, 'running', ['running']]])
  })
})
