import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { STATE_MIGRATION_TABLE, stateMigrations } from '@/db/migrations'
import { dorMigrations } from '@/migrations'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { verifyPassword } from '../auth/passwords'
import { loadConfig } from '../config'
import { createDb } from '../db/connect'
import { findLivePostmaster, isAlive, stopPostmaster } from '../embedded/postmaster'
import { DEMO_DATABASE, prepareRuntime, STATE_DATABASE } from './prepare-runtime'
import { userObjects } from '../../test/user-objects'

const REPO = path.resolve(import.meta.dirname, '../..')
const ADMIN = { ADMIN_EMAIL: 'first.admin@example.org', ADMIN_PASSWORD: 'first-admin-password-1' }

async function tables(db: Kysely<any>): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select tablename as name from pg_tables where schemaname = 'public' order by 1`.execute(db)
  return rows.map((r) => r.name)
}

async function appUsers(db: Kysely<any>) {
  return db
    .selectFrom('app_user')
    .select(['id', 'email', 'name', 'role', 'password_hash', 'session_version', 'disabled_at', 'updated_at'])
    .orderBy('email')
    .execute()
}

describe('prepareRuntime with DATABASE_URL and STATE_DATABASE_URL', () => {
  let target: FreshDatabase
  let state: FreshDatabase
  let emptyState: FreshDatabase
  let targetBefore: Awaited<ReturnType<typeof userObjects>>
  // Must stay untouched: with both URLs set there is no cluster and no secrets file.
  const dataDir = path.join(REPO, '.data', `test-runtime-urls-${randomBytes(4).toString('hex')}`)

  beforeAll(async () => {
    target = await freshDatabase('rt_target')
    state = await freshDatabase('rt_state')
    emptyState = await freshDatabase('rt_state')
    targetBefore = await userObjects(target.db)
  })
  afterAll(async () => {
    await target?.drop()
    await state?.drop()
    await emptyState?.drop()
    fs.rmSync(dataDir, { recursive: true, force: true })
  })

  const config = (stateUrl: string, extra: Record<string, string> = {}) =>
    loadConfig({ DATABASE_URL: target.url, STATE_DATABASE_URL: stateUrl, DATA_DIR: dataDir, ...extra })

  it('migrates the state database and creates the admin from ADMIN_EMAIL/ADMIN_PASSWORD, starting no cluster', async () => {
    expect(await tables(state.db)).toEqual([])
    const logged: string[] = []
    const runtime = await prepareRuntime(config(state.url, ADMIN), { whenRunning: 'share', log: (l) => logged.push(l) })

    expect(runtime).toEqual({
      targetUrl: target.url,
      stateUrl: state.url,
      demo: false,
      authSecret: undefined,
      cluster: null,
      firstAdmin: { created: true, email: ADMIN.ADMIN_EMAIL, generatedPassword: null },
    })
    const stateNames = Object.keys(stateMigrations).sort()
    expect(logged).toEqual([`State database migrated: ${stateNames.join(', ')}`])
    // Other state migrations may add tables; these must be there and every migration applied.
    expect(await tables(state.db)).toEqual(expect.arrayContaining(['app_user', 'audit_log', 'dbadmin_migration', 'dbadmin_migration_lock']))
    const applied = await state.db.selectFrom(STATE_MIGRATION_TABLE).select('name').orderBy('name').execute()
    expect(applied.map((m) => m.name)).toEqual(stateNames)

    const users = await appUsers(state.db)
    expect(users).toEqual([
      expect.objectContaining({ email: ADMIN.ADMIN_EMAIL, name: 'Administrator', role: 'admin', session_version: 1, disabled_at: null }),
    ])
    expect(users[0].password_hash).toMatch(/^\$argon2id\$/)
    expect(await verifyPassword(users[0].password_hash, ADMIN.ADMIN_PASSWORD)).toBe(true)

    expect(await userObjects(target.db)).toEqual(targetBefore)
    expect(fs.existsSync(dataDir)).toBe(false)
  })

  it('a second call neither re-creates nor changes that admin, even with another ADMIN_PASSWORD', async () => {
    const before = await appUsers(state.db)
    const logged: string[] = []
    const again = await prepareRuntime(config(state.url, ADMIN), { whenRunning: 'share', log: (l) => logged.push(l) })
    expect(again.firstAdmin).toEqual({ created: false })
    expect(again.cluster).toBeNull()
    expect(logged).toEqual([])

    const changed = await prepareRuntime(config(state.url, { ...ADMIN, ADMIN_PASSWORD: 'another-password-2' }), { whenRunning: 'share' })
    expect(changed.firstAdmin).toEqual({ created: false })
    const after = await appUsers(state.db)
    expect(after).toEqual(before)
    expect(await verifyPassword(after[0].password_hash, ADMIN.ADMIN_PASSWORD)).toBe(true)

    expect(await userObjects(target.db)).toEqual(targetBefore)
    expect(fs.existsSync(dataDir)).toBe(false)
  })

  it('without ADMIN_* and no users, creates admin@localhost with a generated password returned once', async () => {
    const first = await prepareRuntime(config(emptyState.url), { whenRunning: 'share' })
    expect(first.cluster).toBeNull()
    expect(first.firstAdmin).toEqual({ created: true, email: 'admin@localhost', generatedPassword: expect.any(String) })
    const password = (first.firstAdmin as { generatedPassword: string }).generatedPassword
    expect(password).toMatch(/^[A-HJ-NP-Za-km-z2-9]{20}$/)

    const users = await appUsers(emptyState.db)
    expect(users).toEqual([expect.objectContaining({ email: 'admin@localhost', name: 'Administrator', role: 'admin' })])
    expect(await verifyPassword(users[0].password_hash, password)).toBe(true)

    const second = await prepareRuntime(config(emptyState.url), { whenRunning: 'share' })
    expect(second.firstAdmin).toEqual({ created: false })
    expect(await appUsers(emptyState.db)).toEqual(users)

    expect(await userObjects(target.db)).toEqual(targetBefore)
    expect(fs.existsSync(dataDir)).toBe(false)
  })
})

describe('prepareRuntime on the embedded cluster', () => {
  const dataDir = path.join(REPO, '.data', `test-runtime-${randomBytes(4).toString('hex')}`)
  const pgdata = path.join(dataDir, 'postgres')

  afterAll(async () => {
    // Only the postmaster on our own data directory, whatever a failed assertion left running.
    const live = findLivePostmaster(pgdata)
    if (live) await stopPostmaster(live.pid)
    fs.rmSync(dataDir, { recursive: true, force: true })
  }, 60_000)

  it('starts the cluster with the DoR demo as target, and a second start shares it without reseeding', async () => {
    const config = loadConfig({ DATA_DIR: dataDir })
    expect(config.dataPath).toBe(dataDir)
    const logged: string[] = []
    const runtime = await prepareRuntime(config, { whenRunning: 'adopt', log: (l) => logged.push(l) })
    const cluster = runtime.cluster!
    try {
      expect(cluster).not.toBeNull()
      expect(cluster.startedHere).toBe(true)
      expect(runtime.demo).toBe(true)
      expect(runtime.targetUrl).toBe(cluster.url(DEMO_DATABASE))
      expect(runtime.stateUrl).toBe(cluster.url(STATE_DATABASE))
      expect(runtime.firstAdmin).toEqual({ created: true, email: 'admin@localhost', generatedPassword: expect.stringMatching(/^\S{20}$/) })

      const secrets = JSON.parse(fs.readFileSync(path.join(dataDir, 'secrets.json'), 'utf8'))
      expect(runtime.authSecret).toBe(secrets.authSecret)
      expect(cluster.password).toBe(secrets.postgresPassword)
      expect(fs.statSync(path.join(dataDir, 'secrets.json')).mode & 0o777).toBe(0o600)
      expect(logged[0]).toBe(`Embedded PostgreSQL 15 started on 127.0.0.1:${cluster.port} (data in ${dataDir}/postgres)`)
      expect(logged.some((l) => l.startsWith('DoR demo database created: {'))).toBe(true)

      const demo = createDb(runtime.targetUrl, { max: 1 })
      let users: number
      try {
        expect(await tables(demo)).toEqual([
          'agenda_item',
          'fileupload',
          'kysely_migration',
          'kysely_migration_lock',
          'meeting',
          'meeting_attendee',
          'registration_request',
          'user',
        ])
        const applied = await demo.selectFrom('kysely_migration').select('name').orderBy('name').execute()
        const all = Object.keys(dorMigrations).sort()
        expect(all).toHaveLength(6)
        expect(applied.map((r) => r.name)).toEqual(all.slice(0, -1))
        const ext = await demo.selectFrom('pg_extension').select('extname').where('extname', '=', 'pg_stat_statements').execute()
        expect(ext).toEqual([{ extname: 'pg_stat_statements' }])
        users = Number((await sql<{ n: number }>`select count(*)::int as n from "user"`.execute(demo)).rows[0].n)
        expect(users).toBe(80)
      } finally {
        await demo.destroy()
      }

      const admin = createDb(cluster.url('postgres'), { max: 1 })
      try {
        const dbs = await admin.selectFrom('pg_database').select('datname').where('datistemplate', '=', false).orderBy('datname').execute()
        expect(dbs.map((d) => d.datname)).toEqual(['dbadmin_state', 'dor', 'postgres'])
      } finally {
        await admin.destroy()
      }

      // What the CLI does beside a running dashboard.
      const sharedLog: string[] = []
      const shared = await prepareRuntime(loadConfig({ DATA_DIR: dataDir }), { whenRunning: 'share', log: (l) => sharedLog.push(l) })
      expect(shared.cluster!.startedHere).toBe(false)
      expect(shared.cluster!.port).toBe(cluster.port)
      expect(shared.targetUrl).toBe(runtime.targetUrl)
      expect(shared.stateUrl).toBe(runtime.stateUrl)
      expect(shared.demo).toBe(true)
      expect(shared.authSecret).toBe(runtime.authSecret)
      expect(shared.firstAdmin).toEqual({ created: false })
      expect(sharedLog).toEqual([`Embedded PostgreSQL already running on 127.0.0.1:${cluster.port}; reusing it`])

      const again = createDb(shared.targetUrl, { max: 1 })
      try {
        expect((await sql<{ n: number }>`select count(*)::int as n from "user"`.execute(again)).rows[0].n).toBe(users)
        expect(await again.selectFrom('kysely_migration').select('name').orderBy('name').execute()).toHaveLength(5)
      } finally {
        await again.destroy()
      }

      const { pid } = findLivePostmaster(pgdata)!
      await shared.cluster!.stop()
      expect(isAlive(pid)).toBe(true)
    } finally {
      const live = findLivePostmaster(pgdata)
      await cluster.stop()
      if (live) expect(isAlive(live.pid)).toBe(false)
    }
    expect(findLivePostmaster(pgdata)).toBeNull()
    expect(fs.existsSync(path.join(pgdata, 'postmaster.pid'))).toBe(false)
  }, 120_000)
})
