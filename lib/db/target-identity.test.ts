import fs from 'node:fs'
import path from 'node:path'
import { type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { runDbadmin } from '../../test/run-command'
import { freshStateDb } from '../../test/state-db'
import { type EmbeddedCluster, startCluster } from '../embedded/cluster'
import { customRuleFindings, listCustomRules, saveCustomRule } from '../integrity/custom-rules'
import { restoreRefusal } from '../integrity/fix-job'
import { createFixJob, getFixJob, listFixJobs } from '../integrity/fix-store'
import { startTestJobs } from '../../test/test-jobs'
import { getIntegrityRun, listIntegrityRuns } from '../integrity/run-store'
import { applyMigrations } from '../migrations/runner'
import { acknowledgeEdit, createRun, listRuns } from '../migrations/run-store'
import { migrationStatus, OUTSIDE } from '../migrations/status'
import { sqlMigration, testSet } from '../migrations/test-migration-sets'
import { listSnapshots } from '../schema/snapshot-store'
import { compareSnapshots, takeSnapshot, UnknownSnapshotError } from '../schema/take-snapshot'
import { adoptUnkeyedRows } from '../state/adopt-unkeyed'
import { createDb, withDatabase } from './connect'
import { restrictedReader } from './reader-login'
import { targetIdentity } from './target-identity'

// Two servers, each with a database of the same name, and one state database for both: what
// one dashboard records must never show up for the other.
let other: EmbeddedCluster
const otherDir = path.resolve(`.data/test/run-${process.pid}`)
let a: FreshDatabase
let b: { url: string; db: Kysely<any> }
let state: Awaited<ReturnType<typeof freshStateDb>>
const name = () => decodeURIComponent(new URL(a.url).pathname.slice(1))
// Admins' rules run as a reader role each server gets from the dashboard; one name per server here.
const READER = `ti_reader_${process.pid}`
const readerOf = (t: { url: string; db: Kysely<any> }) =>
  restrictedReader({ target: t.db, targetUrl: t.url, state: state.db, roleName: t === a ? READER : `${READER}_b` })

beforeAll(async () => {
  ;[other, a, state] = await Promise.all([
    startCluster({ pgdata: path.join(otherDir, 'postgres'), password: 'second-cluster', whenRunning: 'adopt' }),
    freshDatabase('same'),
    freshStateDb(),
  ])
  const admin = createDb(other.url('postgres'), { max: 1 })
  await sql`create database ${sql.id(name())}`.execute(admin)
  await admin.destroy()
  const url = other.url(name())
  b = { url, db: createDb(url, { max: 2 }) }
}, 180_000)
afterAll(async () => {
  await b?.db.destroy()
  await other?.stop()
  fs.rmSync(otherDir, { recursive: true, force: true })
  await a?.drop()
  await state?.drop()
  const cluster = createDb(inject('pgAdminUrl'), { max: 1 })
  await sql`drop role if exists ${sql.id(READER)}`.execute(cluster)
  await cluster.destroy()
})

describe('the identity of a target', () => {
  it("is the server's system identifier and the database name: equal names on two servers differ", async () => {
    const [ia, ib] = await Promise.all([targetIdentity(a.db), targetIdentity(b.db)])
    expect(ia.database).toBe(name())
    expect(ib.database).toBe(name())
    expect(ia).toMatchObject({ serverBy: 'system_identifier', key: expect.stringMatching(new RegExp(`^\\d{10,20}/${name()}$`)) })
    expect(ib.serverBy).toBe('system_identifier')
    expect(ia.key).not.toBe(ib.key)
    // Read exactly: a 64-bit identifier must not be rounded through a JavaScript number.
    const { rows } = await sql<{ id: string }>`select system_identifier::text as id from pg_control_system()`.execute(a.db)
    expect(ia.key).toBe(`${rows[0].id}/${name()}`)
    // Another database of the same server is another target.
    expect((await targetIdentity(state.db)).key).toBe(`${rows[0].id}/${decodeURIComponent(new URL(state.url).pathname.slice(1))}`)
  })

  it('falls back to the address the server reports when pg_control_system() is not allowed', async () => {
    const role = `noctl_${process.pid}`
    await sql`revoke execute on function pg_control_system() from public`.execute(a.db)
    await sql`create role ${sql.id(role)} login password 'noctl-password'`.execute(a.db)
    const u = new URL(a.url)
    u.username = role
    u.password = 'noctl-password'
    const limited = createDb(u.toString(), { max: 1 })
    try {
      const port = new URL(a.url).port
      expect(await targetIdentity(limited)).toEqual({ key: `addr:127.0.0.1:${port}/${name()}`, database: name(), serverBy: 'address' })
    } finally {
      await limited.destroy()
      await sql`grant execute on function pg_control_system() to public`.execute(a.db)
      await sql`drop role ${sql.id(role)}`.execute(a.db)
    }
  })
})

describe('one state database shared by two targets of the same name', () => {
  const admin = () => ({ id: state.users.admin.id, label: state.users.admin.email, source: 'dashboard' as const })
  const opts = (url: string) => ({
    targetUrl: url,
    state: state.db,
    actor: admin(),
    lockTimeoutMs: 2000,
    statementTimeoutMs: 30_000,
  })
  const set = testSet({ '20250101_000001_shared': sqlMigration(sql`create table shared (id int)`, sql`drop table shared`) })

  it("keeps each target's migration runs, acknowledgements and applies apart, in the library and the CLI", async () => {
    const r = await applyMigrations({ ...opts(a.url), set, snapshots: true }, { all: true })
    expect(r.ok).toBe(true)
    const [ia, ib] = await Promise.all([targetIdentity(a.db), targetIdentity(b.db)])
    expect((await listRuns(state.db, { targetKey: ia.key })).map((x) => x.id)).toEqual([r.runId])
    expect(await listRuns(state.db, { targetKey: ib.key })).toEqual([])
    expect((await listRuns(state.db, { targetKey: ia.key }))[0]).toMatchObject({ targetDatabase: name(), targetKey: ia.key })

    // B has the same table recorded by another tool: the dashboard never applied it there.
    await sql`create table test_migration (name varchar(255) primary key, timestamp varchar(255) not null)`.execute(b.db)
    await sql`insert into test_migration values ('20250101_000001_shared', now()::text)`.execute(b.db)
    const edited = testSet({ '20250101_000001_shared': sqlMigration(sql`create table shared (id int)`, sql`drop table shared`) }, { '20250101_000001_shared': 'sum:edited' })
    const sa = await migrationStatus(a.db, state.db, edited)
    const sb = await migrationStatus(b.db, state.db, edited)
    expect(sa.migrations[0]).toMatchObject({ appliedBy: state.users.admin.email, flags: [expect.objectContaining({ code: 'edited_after_apply' })] })
    expect(sb.migrations[0]).toMatchObject({ appliedBy: OUTSIDE, flags: [] })
    await acknowledgeEdit(state.db, { target: sa.target, name: sa.migrations[0].name, checksum: 'sum:edited', by: admin() })
    expect((await migrationStatus(a.db, state.db, edited)).blockingEdits).toEqual([])

    // The CLI, pointed at B with the shared state database, lists none of A's runs.
    const cli = async (url: string) => {
      const out = await runDbadmin(['migrate', 'history', '--json'], { DATABASE_URL: url, STATE_DATABASE_URL: state.url })
      expect(out.stderr).toBe('')
      return (JSON.parse(out.stdout).runs as { id: number }[]).map((x) => x.id)
    }
    expect(await cli(b.url)).toEqual([])
    expect(await cli(a.url)).toEqual([r.runId])
  })

  it('keeps snapshots apart: listed for their own target only, and never compared from another', async () => {
    const snap = await takeSnapshot(a.db, state.db, { reason: 'manual', takenBy: 'cli' })
    const [ia, ib] = await Promise.all([targetIdentity(a.db), targetIdentity(b.db)])
    expect(snap.targetKey).toBe(ia.key)
    expect((await listSnapshots(state.db, { targetKey: ia.key })).map((s) => s.id)).toContain(snap.id)
    expect(await listSnapshots(state.db, { targetKey: ib.key })).toEqual([])
    await expect(compareSnapshots(b.db, state.db, snap.id, 'live')).rejects.toBeInstanceOf(UnknownSnapshotError)
    expect((await compareSnapshots(a.db, state.db, snap.id, 'live')).diff.changes).toEqual([])
  })

  it('keeps integrity runs, fixes and rules apart', async () => {
    const [ia, ib] = await Promise.all([targetIdentity(a.db), targetIdentity(b.db)])
    // Each target has its own queues: a worker of b's dashboard never takes a's jobs.
    const [jobsA, jobsB] = [await startTestJobs(a, state, { work: false }), await startTestJobs(b, state)]
    const job = await jobsA.enqueue('integrity.run', {}, { startedBy: 'admin@test.local', trigger: 'manual' })
    const id = job.refId!
    await new Promise((r) => setTimeout(r, 1_500))
    expect((await getIntegrityRun(state.db, id))?.status).toBe('queued')
    await jobsA.stop(5_000)
    await jobsB.stop(5_000)
    const jobsA2 = await startTestJobs(a, state)
    for (let i = 0; i < 200 && ['queued', 'running'].includes((await getIntegrityRun(state.db, id))!.status); i++) {
      await new Promise((r) => setTimeout(r, 100))
    }
    await jobsA2.stop(5_000)
    expect(await getIntegrityRun(state.db, id)).toMatchObject({ status: 'succeeded', targetKey: ia.key, targetDatabase: name() })
    expect((await listIntegrityRuns(state.db, { targetKey: ia.key })).map((r) => r.id)).toEqual([id])
    expect(await listIntegrityRuns(state.db, { targetKey: ib.key })).toEqual([])

    const relation = { schema: 'public', table: 'shared', columns: ['id'], refSchema: 'public', refTable: 'shared', refColumns: ['id'] }
    const fixId = await createFixJob(state.db, {
      targetDatabase: ia.database,
      targetKey: ia.key,
      kind: 'fix',
      relation,
      mode: 'delete',
      file: '/nonexistent.jsonl',
      total: 0,
      startedBy: 'admin@test.local',
    })
    expect((await listFixJobs(state.db, { targetKey: ia.key })).map((j) => j.id)).toEqual([fixId])
    expect(await listFixJobs(state.db, { targetKey: ib.key })).toEqual([])
    expect(restoreRefusal((await getFixJob(state.db, fixId))!, ib)).toBe(`Fix #${fixId} was made on database ${name()} of another server, not on ${name()}.`)

    await saveCustomRule(readerOf(a), state.db, { name: 'no rows', query: 'select 1 where false', enabled: true, by: 'admin@test.local', targetKey: ia.key }, 5000)
    expect((await listCustomRules(state.db, ia.key)).map((r) => r.name)).toEqual(['no rows'])
    expect(await listCustomRules(state.db, ib.key)).toEqual([])
    expect(await customRuleFindings(readerOf(b), state.db, ib.key, 5000)).toEqual([])
    // The same name is free on the other target.
    await saveCustomRule(readerOf(b), state.db, { name: 'no rows', query: 'select 2 where false', enabled: true, by: 'admin@test.local', targetKey: ib.key }, 5000)
    expect((await listCustomRules(state.db, ib.key)).map((r) => r.query)).toEqual(['select 2 where false'])
  })
})

describe('history recorded before targets had keys', () => {
  it('goes to the first target of its database name reached after the upgrade; rules to the first target', async () => {
    const legacy = await freshStateDb()
    try {
      const ia = await targetIdentity(a.db)
      const run = await createRun(legacy.db, { kind: 'apply', target: ia, actor: { label: 'cli', source: 'cli' } })
      const elsewhere = await createRun(legacy.db, { kind: 'apply', target: { ...ia, key: 'k/x', database: 'x' }, actor: { label: 'cli', source: 'cli' } })
      await sql`insert into integrity_rule (name, query, updated_by) values ('old rule', 'select 1 where false', 'admin')`.execute(legacy.db)
      await sql`update migration_run set target_key = null`.execute(legacy.db)
      expect(await listRuns(legacy.db, { targetKey: ia.key })).toEqual([])

      expect(await adoptUnkeyedRows(legacy.db, ia)).toBe(2)
      expect((await listRuns(legacy.db, { targetKey: ia.key })).map((r) => r.id)).toEqual([run])
      expect((await listCustomRules(legacy.db, ia.key)).map((r) => r.name)).toEqual(['old rule'])
      // Another name's rows wait for their own target; nothing is adopted twice.
      const { rows } = await sql<{ key: string | null }>`select target_key as key from migration_run where id = ${elsewhere}`.execute(legacy.db)
      expect(rows[0].key).toBeNull()
      expect(await adoptUnkeyedRows(legacy.db, await targetIdentity(b.db))).toBe(0)
    } finally {
      await legacy.drop()
    }
  })

  it('is adopted at start by the CLI (and the server), which reaches the target', async () => {
    const legacy = await freshStateDb()
    try {
      const ia = await targetIdentity(a.db)
      await createRun(legacy.db, { kind: 'apply', target: ia, actor: { label: 'cli', source: 'cli' } })
      await sql`update migration_run set target_key = null`.execute(legacy.db)
      const out = await runDbadmin(['migrate', 'history', '--json'], { DATABASE_URL: a.url, STATE_DATABASE_URL: legacy.url })
      expect(out.stderr).toContain(`now belongs to ${name()} (${ia.key})`)
      expect(JSON.parse(out.stdout).runs).toHaveLength(1)
    } finally {
      await legacy.drop()
    }
  })
})

// The admin URL of the test cluster, for nothing but a sanity check that the two servers differ.
it('runs on two servers', () => {
  expect(new URL(inject('pgAdminUrl')).port).not.toBe(String(other.port))
  expect(withDatabase(inject('pgAdminUrl'), 'x')).not.toBe(other.url('x'))
})
