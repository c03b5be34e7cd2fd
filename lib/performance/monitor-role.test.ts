import { randomBytes } from 'node:crypto'
import { type Kysely, sql } from 'kysely'
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest'
import { AppSessions, waitFor } from '../../test/app-sessions'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { createDb } from '../db/connect'
import { readAccess } from './access'
import { listActivity } from './activity'
import { readConnections } from './connections'
import { readIndexFindings } from './index-findings'
import { runMaintenance } from './maintenance'
import { readMaintenanceProgress } from './maintenance-progress'
import { readSettings } from './settings'
import { cancelBackend, terminateBackend } from './signal-backend'
import { listSlowQueries, resetStatements } from './slow-queries'
import { readStatementsStatus } from './statements-extension'
import { listTables } from './tables'

/**
 * The performance library as a dashboard connecting with pg_monitor and pg_signal_backend only
 * (issue 14's least privilege), and as a role with nothing at all: what needs more says so.
 */
const suffix = randomBytes(4).toString('hex')
const MONITOR = `perf_monitor_${suffix}`
const PLAIN = `perf_plain_${suffix}`
const APP = `perf_app_${suffix}`
const PASSWORD = randomBytes(12).toString('hex')

let fresh: FreshDatabase
let admin: Kysely<any>
let monitor: Kysely<any>
let plain: Kysely<any>
let app: AppSessions
let appUrl: string

const urlFor = (role: string) => {
  const u = new URL(fresh.url)
  u.username = role
  u.password = PASSWORD
  return u.toString()
}

beforeAll(async () => {
  fresh = await freshDatabase('perf_monitor')
  admin = createDb(inject('pgAdminUrl'), { max: 1 })
  await sql`create role ${sql.id(MONITOR)} login password ${sql.lit(PASSWORD)} in role pg_monitor, pg_signal_backend`.execute(admin)
  await sql`create role ${sql.id(PLAIN)} login password ${sql.lit(PASSWORD)}`.execute(admin)
  await sql`create role ${sql.id(APP)} login password ${sql.lit(PASSWORD)}`.execute(admin)
  await sql`create extension pg_stat_statements`.execute(fresh.db)
  // The application's table, owned by the application's role: the monitor may not read or vacuum it.
  await sql`grant create on schema public to ${sql.id(APP)}`.execute(fresh.db)
  appUrl = urlFor(APP)
  const appDb = createDb(appUrl, { max: 1, applicationName: 'dor-app' })
  await sql`create table public.secret (id int primary key, token text)`.execute(appDb)
  await sql`create index secret_token on public.secret (token)`.execute(appDb)
  await sql`insert into public.secret select g, md5(g::text) from generate_series(1, 1000) g`.execute(appDb)
  await sql`select count(*) from public.secret where token = 'x'`.execute(appDb)
  await appDb.destroy()
  monitor = createDb(urlFor(MONITOR), { max: 3, applicationName: 'dor-db-admin' })
  plain = createDb(urlFor(PLAIN), { max: 2, applicationName: 'dor-db-admin' })
  app = new AppSessions(appUrl)
})

afterEach(async () => {
  await app.closeAll()
})

afterAll(async () => {
  await monitor?.destroy()
  await plain?.destroy()
  await fresh?.drop()
  if (admin) {
    for (const role of [MONITOR, PLAIN, APP]) await sql`drop role if exists ${sql.id(role)}`.execute(admin)
    await admin.destroy()
  }
})

describe('with pg_monitor and pg_signal_backend only', () => {
  it('is what the test says it is', async () => {
    expect(await readAccess(monitor)).toMatchObject({ user: MONITOR, superuser: false, readAllStats: true, readAllSettings: true, signalBackend: true })
  })

  it("sees every session's query, cancels and terminates the application's, and is told why not a superuser's", async () => {
    const sleeper = await app.open('dor-app')
    const running = app.start(sleeper, 'select pg_sleep(60)')
    const seen = await waitFor(async () => (await listActivity(monitor)).sessions.find((s) => s.pid === sleeper.pid && s.state === 'active'))
    expect(seen).toMatchObject({ user: APP, superuser: false, queryPreview: 'select pg_sleep(60)', hidden: false })
    expect((await listActivity(monitor)).limitations).toEqual([])
    expect(await cancelBackend(monitor, sleeper.pid)).toMatchObject({ ok: true })
    expect(await running).toMatchObject({ ok: false, code: '57014' })
    expect(await terminateBackend(monitor, sleeper.pid)).toMatchObject({ ok: true })

    const su = new AppSessions(fresh.url)
    try {
      const root = await su.open('dor-app')
      for (const f of [cancelBackend, terminateBackend]) {
        expect(await f(monitor, root.pid)).toEqual({
          ok: false,
          pid: root.pid,
          kind: f === cancelBackend ? 'cancel' : 'terminate',
          code: 'superuser',
          reason: `Session ${root.pid} belongs to the superuser postgres; only a superuser may signal it, and the dashboard connects as ${MONITOR}.`,
        })
      }
      expect((await root.query('select 1 as one')).rows).toEqual([{ one: 1 }])
    } finally {
      await su.closeAll()
    }
  })

  it('reads slow queries with their texts, and is told how to be allowed to reset', async () => {
    const list = await listSlowQueries(monitor, { search: 'secret' })
    expect(list.queries.map((q) => [q.query, q.user, q.hidden])).toContainEqual(['select count(*) from public.secret where token = $1', APP, false])
    expect(list.limitations).toEqual([])
    expect((await readStatementsStatus(monitor)).facts.preload).toBe('pg_stat_statements')
    await expect(resetStatements(monitor)).rejects.toMatchObject({
      code: 'not_permitted',
      message: `Resetting needs a superuser or EXECUTE on pg_stat_statements_reset; the dashboard connects as ${MONITOR}. A superuser can allow it: GRANT EXECUTE ON FUNCTION public.pg_stat_statements_reset TO ${MONITOR};`,
    })
  })

  it("reads index findings, tables, connections, settings and progress; bloat of a table it may not read says so", async () => {
    const { findings } = await readIndexFindings(monitor)
    expect(findings.find((f) => f.index === 'secret_token')).toBeUndefined() // it was scanned
    const tables = await listTables(monitor)
    const secret = tables.tables.find((t) => t.table === 'secret')!
    expect(secret).toMatchObject({ inserts: 1000, liveRows: 1000 })
    expect(secret.totalBytes).toBeGreaterThan(0)
    expect(secret.bloat).toMatchObject({ bloatBytes: null, note: "No estimate: pg_stats shows a column's statistics only to roles that may read the column." })
    expect(tables.limitations).toEqual([
      'Bloat is not estimated for 1 table this role may not read: pg_stats hides their statistics (grant SELECT, or pg_read_all_data, to see it).',
    ])
    expect((await readConnections(monitor)).limitations).toEqual([])
    const settings = await readSettings(monitor)
    expect(settings.limitations).toEqual([])
    expect(settings.settings.find((s) => s.name === 'shared_preload_libraries')?.value).toBe('pg_stat_statements')
    expect(await readMaintenanceProgress(monitor)).toEqual(expect.any(Array))
  })

  it('is refused maintenance on tables it does not own, with the reason, before anything runs', async () => {
    await expect(runMaintenance(monitor, { kind: 'vacuum', schema: 'public', table: 'secret', analyze: true })).rejects.toMatchObject({
      code: 'not_permitted',
      message: `VACUUM (ANALYZE) public.secret needs the owner of public.secret (${APP}) or a superuser (PostgreSQL 17: the MAINTAIN privilege); the dashboard connects as ${MONITOR}.`,
    })
    await expect(runMaintenance(monitor, { kind: 'drop-index', schema: 'public', name: 'secret_token' })).rejects.toMatchObject({ code: 'not_permitted' })
    await expect(runMaintenance(monitor, { kind: 'reindex', target: 'table', schema: 'public', name: 'secret' })).rejects.toMatchObject({ code: 'not_permitted' })
  })
})

describe('with no monitoring role at all', () => {
  it("says what it cannot see instead of failing", async () => {
    const sleeper = await app.open('dor-app')
    const running = app.start(sleeper, 'select pg_sleep(60)')
    const seen = await waitFor(async () => (await listActivity(plain)).sessions.find((s) => s.pid === sleeper.pid))
    expect(seen).toMatchObject({ hidden: true, state: null, queryPreview: '<insufficient privilege>', queryLength: 0 })
    const activity = await listActivity(plain)
    expect(activity.limitations).toEqual([
      `The state, waits and queries of other roles' sessions are hidden from ${PLAIN}: grant it pg_monitor (or pg_read_all_stats) to see them.`,
      `Cancel and Terminate cannot work with this login: ${PLAIN} is not a member of pg_signal_backend (a superuser can run GRANT pg_signal_backend TO ${PLAIN};), and other superusers' sessions need a superuser.`,
    ])
    // With a signalling login of its own that may signal, the viewing login's lack of it is no limitation.
    expect((await listActivity(plain, { signalDb: monitor })).limitations).toEqual([activity.limitations[0]])
    expect(await cancelBackend(plain, sleeper.pid)).toMatchObject({
      ok: false,
      code: 'not-permitted',
      reason: `The dashboard's role ${PLAIN} may not signal ${APP}'s sessions: grant it pg_signal_backend.`,
    })
    const asPlain = await listSlowQueries(plain, { search: 'insufficient', limit: 1000 })
    expect(asPlain.queries.length).toBeGreaterThan(0)
    expect(asPlain.queries.every((q) => q.hidden)).toBe(true)
    expect((await listSlowQueries(plain)).limitations[0]).toContain('grant it pg_monitor (or pg_read_all_stats)')
    expect((await readStatementsStatus(plain)).facts.preload).toBeNull()
    expect((await readSettings(plain)).limitations[0]).toContain('grant it pg_monitor (or pg_read_all_settings)')
    const connections = await readConnections(plain)
    expect(connections.limitations[0]).toContain('grant it pg_monitor (or pg_read_all_stats)')
    expect(connections.byUser.find((c) => c.name === APP)?.count).toBeGreaterThanOrEqual(1)
    expect(connections.byState.find((c) => c.name === '(hidden)')?.count).toBeGreaterThanOrEqual(1)
    await cancelBackend(monitor, sleeper.pid)
    await running
  })
})
