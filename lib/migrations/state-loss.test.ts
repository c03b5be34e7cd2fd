import { sql } from 'kysely'
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest'
import { freshStateDb } from '../../test/state-db'
import { createDb } from '../db/connect'
import { targetIdentity } from '../db/target-identity'
import { applyMigrations } from './runner'
import { listRuns } from './run-store'
import { StateLostError } from './state-recorder'
import { migrationStatus } from './status'
import { sqlMigration, type StateDb, tableNames, type TestTarget, testSet, testTarget } from './test-migration-sets'

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

const N = ['20250101_000001_first', '20250101_000002_second']
const stateName = () => decodeURIComponent(new URL(state.url).pathname.slice(1))

/** The pid of the migration session while it runs pg_sleep. */
async function sleepingMigration(t: TestTarget): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const { rows } = await sql`select 1 from pg_stat_activity where datname = current_database()
      and application_name like 'dbadmin migrate:%' and state = 'active' and query like '%pg_sleep%'`.execute(t.db)
    if (rows.length) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error('the migration never started sleeping')
}

/** Takes the state database away (its sessions ended, its name gone) until `back()`. */
async function loseStateDatabase() {
  const admin = createDb(inject('pgAdminUrl'), { max: 1 })
  const away = `${stateName()}_away`
  await sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${stateName()}`.execute(admin)
  await sql`alter database ${sql.id(stateName())} rename to ${sql.id(away)}`.execute(admin)
  return {
    async back() {
      await sql`alter database ${sql.id(away)} rename to ${sql.id(stateName())}`.execute(admin)
      await admin.destroy()
    },
  }
}

describe('the state database lost while a migration runs', () => {
  it('says what was applied on the target, and the next run records it from the migration table', async () => {
    const t = await testTarget(state, 'mlost')
    targets.push(t)
    const set = testSet({
      [N[0]]: sqlMigration([sql`create table first (id int)`, sql`select pg_sleep(1.5)`], sql`drop table first`),
      [N[1]]: sqlMigration(sql`create table second (id int)`, sql`drop table second`),
    })
    const run = applyMigrations(t.opts(set), { all: true }).catch((e: unknown) => e)
    await sleepingMigration(t)
    const lost = await loseStateDatabase()
    let error: unknown
    try {
      error = await run
    } finally {
      await lost.back()
    }

    expect(error).toBeInstanceOf(StateLostError)
    const e = error as StateLostError
    expect(e.code).toBe('state_unavailable')
    expect(e.message).toBe(
      `Applied ${N[0]} on the target; the state database could not record it (database does not exist). ${N[1]} not run. ` +
        `Run #${e.runId} stays open in the history until the next run records the outcome from test_migration.`,
    )
    // The target has the first migration committed; the history has the run still open.
    expect(await tableNames(t.db, set)).toEqual([N[0]])
    const key = (await targetIdentity(t.db)).key
    const [open] = await listRuns(state.db, { targetKey: key, lockHeld: false })
    expect(open).toMatchObject({ id: e.runId, status: 'interrupted' })
    expect(open.steps.map((s) => [s.name, s.status])).toEqual([[N[0], 'interrupted']])

    // The next run reconciles the open step with test_migration, then applies the rest.
    const next = await applyMigrations(t.opts(set), { all: true })
    expect(next).toMatchObject({ ok: true, message: `Applied ${N[1]}.` })
    const [, reconciled] = await listRuns(state.db, { targetKey: key, lockHeld: false })
    expect(reconciled).toMatchObject({
      id: e.runId,
      status: 'failed',
      error: `Interrupted before its end was recorded (the process died, or the state database was unavailable). Reconciled with test_migration: ${N[0]} was done on the target.`,
    })
    expect(reconciled.steps.map((s) => [s.name, s.status, s.error])).toEqual([[N[0], 'succeeded', null]])
    // Who applied it, and with which checksum, is known again (edit detection works on it).
    const s = await migrationStatus(t.db, state.db, set)
    expect(s.migrations.map((m) => [m.name, m.appliedBy, m.appliedChecksum])).toEqual([
      [N[0], state.users.admin.email, `sum:${N[0]}`],
      [N[1], state.users.admin.email, `sum:${N[1]}`],
    ])
  })

  it('says nothing was run when the state database is gone before the first migration', async () => {
    const t = await testTarget(state, 'mlost')
    targets.push(t)
    // The first migration fails on purpose; the state database goes away while it sleeps first.
    const set = testSet({ [N[0]]: sqlMigration([sql`select pg_sleep(1.5)`, sql`select 1/0`]) })
    const run = applyMigrations(t.opts(set), { all: true }).catch((e: unknown) => e)
    await sleepingMigration(t)
    const lost = await loseStateDatabase()
    let error: unknown
    try {
      error = await run
    } finally {
      await lost.back()
    }
    expect(error).toBeInstanceOf(StateLostError)
    expect((error as Error).message).toBe(
      `The state database could not record run #${(error as StateLostError).runId} (database does not exist); ${N[0]} failed and was rolled back on the target.`,
    )
    expect(await tableNames(t.db, set)).toEqual([])
    // The next run (failing the same way) reconciles the open step as not done.
    await applyMigrations(t.opts(set), { all: true })
    const [, first] = await listRuns(state.db, { targetKey: (await targetIdentity(t.db)).key, lockHeld: false })
    expect(first.steps.map((s) => [s.name, s.status])).toEqual([[N[0], 'failed']])
  })
})
