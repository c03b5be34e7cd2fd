import { randomBytes } from 'node:crypto'
import { type Kysely, sql } from 'kysely'
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest'
import { AppSessions } from '../../test/app-sessions'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { createDb, createPool } from '../db/connect'
import { describePools, readConnections } from './connections'

const LIMITED = `limited_${randomBytes(4).toString('hex')}`
const PASSWORD = randomBytes(12).toString('hex')
// Sessions of the whole server are counted: names of our own, apart from other test files'.
const APP = `conn-app-${randomBytes(3).toString('hex')}`
const WORKER = `conn-worker-${randomBytes(3).toString('hex')}`
const LEAKY = `conn-leaky-${randomBytes(3).toString('hex')}`

let fresh: FreshDatabase
let admin: Kysely<any>
let app: AppSessions
let database: string

beforeAll(async () => {
  fresh = await freshDatabase('conns')
  admin = createDb(inject('pgAdminUrl'), { max: 1 })
  database = new URL(fresh.url).pathname.slice(1)
  await sql`create role ${sql.id(LIMITED)} login password ${sql.lit(PASSWORD)} connection limit 2`.execute(admin)
  await sql`alter database ${sql.id(database)} connection limit 50`.execute(admin)
  app = new AppSessions(fresh.url)
})

afterEach(async () => {
  await app.closeAll()
})

afterAll(async () => {
  await fresh?.drop()
  if (admin) {
    await sql`drop role if exists ${sql.id(LIMITED)}`.execute(admin)
    await admin.destroy()
  }
})

describe('readConnections', () => {
  it('counts client sessions by state, application, user, database and client against the limits', async () => {
    const u = new URL(fresh.url)
    u.username = LIMITED
    u.password = PASSWORD
    await app.open(APP, u.toString())
    const busy = await app.open(APP, u.toString())
    await busy.query('begin')
    await busy.query('select 1')
    await app.open(WORKER)

    const r = await readConnections(fresh.db)
    expect(r).toMatchObject({ max: 100, superuserReserved: 3, reserved: 0, availableToOthers: 97 })
    expect(r.usedShare).toBeCloseTo(r.total / 100, 5)
    expect(r.byUser.find((c) => c.name === LIMITED)).toEqual({ name: LIMITED, count: 2, limit: 2 })
    expect(r.byDatabase.find((c) => c.name === database)).toMatchObject({ limit: 50 })
    expect(r.byDatabase.find((c) => c.name === database)!.count).toBeGreaterThanOrEqual(3)
    expect(r.byApplication.find((c) => c.name === APP)).toMatchObject({ count: 2, limit: null })
    expect(r.byApplication.find((c) => c.name === WORKER)).toMatchObject({ count: 1 })
    expect(r.byState.find((c) => c.name === 'idle in transaction')!.count).toBeGreaterThanOrEqual(1)
    expect(r.byClient.find((c) => c.name === '127.0.0.1')!.count).toBeGreaterThanOrEqual(3)
    expect(r.warnings).toContainEqual({ threshold: 'connectionUseWarn', message: `The role ${LIMITED} uses 2 of its 2 allowed connections.` })
    expect(r.thresholds).toEqual({ warnShare: 0.8, leakSeconds: 3600 })
    expect(r.limitations).toEqual([])
  })

  it('warns at the share of max_connections and lists connections idle for too long', async () => {
    const idle = await app.open(LEAKY)
    await idle.query('select 1')
    await new Promise((r) => setTimeout(r, 600))
    const r = await readConnections(fresh.db, { warnShare: 0.01, leakSeconds: 0.5 })
    expect(r.warnings[0]).toMatchObject({ threshold: 'connectionUseWarn', message: expect.stringMatching(/^\d+ of 100 connections are in use \(\d+ %\); 3 are kept for superusers\./) })
    const leak = r.idleLeaks.find((l) => l.pid === idle.pid)
    expect(leak).toMatchObject({ applicationName: LEAKY, user: 'postgres', database, client: '127.0.0.1', dashboard: false })
    expect(leak!.idleSeconds).toBeGreaterThanOrEqual(0.5)
    expect((await readConnections(fresh.db)).idleLeaks.some((l) => l.pid === idle.pid)).toBe(false)
  })
})

describe('describePools', () => {
  it("reports the dashboard's pools: total, idle, waiting, and warns when callers wait", async () => {
    const pool = createPool(fresh.url, { max: 2 })
    try {
      expect(describePools({ target: pool })).toEqual([{ name: 'target', total: 0, idle: 0, waiting: 0, max: 2, busyShare: 0, warning: null }])
      const a = await pool.connect()
      const b = await pool.connect()
      const waiting = pool.connect()
      await new Promise((r) => setTimeout(r, 20))
      expect(describePools({ target: pool })).toEqual([
        { name: 'target', total: 2, idle: 0, waiting: 1, max: 2, busyShare: 1, warning: '1 caller waits for a connection: all 2 are checked out.' },
      ])
      a.release()
      const c = await waiting
      c.release()
      b.release()
      expect(describePools({ target: pool })[0]).toMatchObject({ total: 2, idle: 2, waiting: 0, busyShare: 0, warning: null })
    } finally {
      await pool.end()
    }
  })
})
