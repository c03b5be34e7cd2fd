import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AppSessions, waitFor } from '../../test/app-sessions'
import type { FreshDatabase } from '../../test/fresh-db'
import { type StatementsDatabases, statementsDatabases } from '../../test/statements-databases'
import { createDb, createPool } from '../db/connect'
import { targetIdentity } from '../db/target-identity'
import { latestSample } from './sample-store'
import { poolUse, takeSample } from './take-sample'

let dbs: StatementsDatabases
let target: FreshDatabase
let state: FreshDatabase
let app: AppSessions
let key: string

beforeAll(async () => {
  dbs = await statementsDatabases('metrics', 2000)
  ;({ target, state, app } = dbs)
  key = (await targetIdentity(target.db)).key
})

afterAll(async () => {
  await dbs?.close()
})

/** Commits and rollbacks in a session of the application, flushed to the statistics at once. */
async function work(commits: number, rollbacks: number) {
  const s = await app.open('dor-app')
  for (let i = 0; i < commits; i++) await s.query('update public.t set note = $1 where id = $2', [`c${i}`, (i % 2000) + 1])
  for (let i = 0; i < rollbacks; i++) {
    await s.query('begin')
    await s.query('update public.t set note = $1 where id = 1', [`r${i}`])
    await s.query('rollback')
  }
  await s.query('select pg_stat_force_next_flush()')
  await s.end()
}

describe('takeSample', () => {
  it('stores gauges at once, and rates from the second sample on', async () => {
    const first = await takeSample(target.db, state.db, key)
    expect(first.counterReset).toBe('first')
    expect(first.metrics.tps).toBeNull()
    expect(first.metrics.commitsPerSecond).toBeNull()
    expect(first.metrics.connectionsTotal).toBeGreaterThanOrEqual(1)
    expect(first.metrics.connectionsMax).toBe(Number((await sql<{ m: string }>`select current_setting('max_connections') as m`.execute(target.db)).rows[0].m))
    expect(first.metrics.dbSizeBytes).toBeGreaterThan(1_000_000)
    expect(first.metrics.xidAge).toBeGreaterThan(0)
    // No replica, no backup: unknown, not zero.
    expect(first.metrics.replicationLagSeconds).toBeNull()
    expect(first.metrics.backupAgeSeconds).toBeNull()
    expect(first.metrics.dashboardPoolInUse).toBeNull()
    expect(first.tableSizesTaken).toBeGreaterThanOrEqual(1)
    expect(first.durationMs).toBeGreaterThan(0)

    await work(60, 7)
    const second = await takeSample(target.db, state.db, key)
    expect(second.counterReset).toBeNull()
    const seconds = second.metrics.intervalSeconds!
    expect(seconds).toBeCloseTo((second.takenAt.getTime() - first.takenAt.getTime()) / 1000, 3)
    // The sampler's own statements commit too: at least the work, and not wildly more.
    const commits = second.metrics.commitsPerSecond! * seconds
    const rollbacks = second.metrics.rollbacksPerSecond! * seconds
    expect(commits).toBeGreaterThanOrEqual(60)
    expect(commits).toBeLessThan(200)
    expect(Math.round(rollbacks)).toBe(7)
    expect(second.metrics.tps! * seconds).toBeCloseTo(commits + rollbacks, 6)
    expect(second.metrics.cacheHitRatio).toBeGreaterThan(0.5)
    expect(second.metrics.cacheHitRatio).toBeLessThanOrEqual(1)
    expect(second.metrics.walBytesPerSecond).toBeGreaterThan(0)
    expect(second.metrics.statementCallsPerSecond! * seconds).toBeGreaterThanOrEqual(60)
    expect(second.metrics.statementMeanMs).toBeGreaterThan(0)
    expect(second.metrics.deadlocks).toBe(0)
    // Hourly: not again a moment later.
    expect(second.tableSizesTaken).toBeNull()
    // The size is read every 5 minutes: a moment later it is the last one read.
    expect(second.details.slowAt).toBe(first.details.slowAt)
    expect(second.metrics.dbSizeBytes).toBe(first.metrics.dbSizeBytes)
  })

  it('reads the size and the index hit ratio on the slow cadence, the ratio over the span between two such readings', async () => {
    const slow = await takeSample(target.db, state.db, key, { slowEveryMs: 0 })
    expect(slow.details.slowAt).toBe(slow.takenAt.toISOString())
    const s = await app.open('dor-app')
    for (let i = 1; i <= 50; i++) await s.query('select note from public.t where id = $1', [i])
    await s.query('select pg_stat_force_next_flush()')
    const between = await takeSample(target.db, state.db, key)
    expect(between.metrics.indexHitRatio).toBe(slow.metrics.indexHitRatio)
    expect(between.counters.idxBlksHit).toBe(slow.counters.idxBlksHit)
    const next = await takeSample(target.db, state.db, key, { slowEveryMs: 0 })
    expect(next.counters.idxBlksHit! + next.counters.idxBlksRead!).toBeGreaterThanOrEqual(slow.counters.idxBlksHit! + slow.counters.idxBlksRead! + 50)
    expect(next.metrics.indexHitRatio).toBeGreaterThan(0.5)
    expect(next.metrics.indexHitRatio).toBeLessThanOrEqual(1)
  })

  it('detects pg_stat_reset() between samples: no rate across it, and none negative after', async () => {
    await work(30, 0)
    await takeSample(target.db, state.db, key)
    await sql`select pg_stat_reset()`.execute(target.db)
    const across = await takeSample(target.db, state.db, key)
    expect(across.counterReset).toBe('stats_reset')
    expect(across.metrics.tps).toBeNull()
    expect(across.metrics.commitsPerSecond).toBeNull()
    expect(across.metrics.cacheHitRatio).toBeNull()
    // The WAL position is not a statistics counter: it carries on.
    expect(across.metrics.walBytesPerSecond).not.toBeNull()
    expect(across.statsResetAt).not.toEqual((await latestSample(state.db, key, across.takenAt))!.statsResetAt)

    await work(10, 1)
    const after = await takeSample(target.db, state.db, key)
    expect(after.counterReset).toBeNull()
    expect(after.metrics.tps).toBeGreaterThan(0)
    expect(after.metrics.rollbacksPerSecond! * after.metrics.intervalSeconds!).toBeCloseTo(1, 0)
  })

  it('detects a pg_stat_statements reset', async () => {
    await takeSample(target.db, state.db, key)
    // Only this database's entries: other test files read the same server's statements meanwhile.
    await sql`select pg_stat_statements_reset(0, (select oid from pg_database where datname = current_database()), 0)`.execute(target.db)
    const across = await takeSample(target.db, state.db, key)
    expect(across.counterReset).toBe('statements_reset')
    expect(across.metrics.statementCallsPerSecond).toBeNull()
    expect(across.metrics.tps).not.toBeNull()
  })

  it('reports the longest running query, blocked sessions and the pool it is given', async () => {
    const sleeper = await app.open('dor-app')
    const blocker = await app.open('dor-app')
    const waiter = await app.open('dor-app')
    // Other files' slow-queries tests read the whole server's statements: these long ones stay out.
    for (const c of [sleeper, blocker, waiter]) await c.query(`set pg_stat_statements.track = 'none'`)
    const sleeping = app.start(sleeper, 'select pg_sleep(30)')
    // Running before the others start: on a busy machine its backend may otherwise begin last.
    await waitFor(async () => (await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where pid = ${sleeper.pid} and state = 'active'`.execute(target.db)).rows[0].n > 0)
    await new Promise((r) => setTimeout(r, 100))
    await blocker.query('begin')
    await blocker.query('lock table public.t in access exclusive mode')
    const waiting = app.start(waiter, 'select count(*) from public.t')
    await waitFor(async () => (await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock'`.execute(target.db)).rows[0].n > 0)
    await new Promise((r) => setTimeout(r, 1100))

    const pool = createPool(target.url, { max: 3 })
    const held = await pool.connect()
    try {
      const s = await takeSample(target.db, state.db, key, { pool: poolUse([pool]), store: false })
      expect(s.id).toBeNull()
      expect(s.metrics.longestQuerySeconds).toBeGreaterThanOrEqual(1)
      expect(s.details.longestQuery).toMatchObject({ pid: sleeper.pid, application: 'dor-app', query: 'select pg_sleep(30)' })
      expect(s.metrics.blockedSessions).toBe(1)
      expect(s.metrics.longestIdleInTransactionSeconds).toBeGreaterThanOrEqual(1)
      // Server-wide, like max_connections: other databases' sessions count too.
      expect(s.metrics.connectionsIdleInTransaction).toBeGreaterThanOrEqual(1)
      expect(s.metrics).toMatchObject({ dashboardPoolInUse: 1, dashboardPoolMax: 3, dashboardPoolWaiting: 0 })
    } finally {
      held.release()
      await pool.end()
      await sql`select pg_cancel_backend(${sleeper.pid})`.execute(target.db)
      await blocker.query('rollback')
      await Promise.all([sleeping, waiting])
    }
  })

  it("counts the dashboard's failed queries: one failing on a counting pool shows up in the next sample", async () => {
    const before = await takeSample(target.db, state.db, key)
    expect(before.metrics.dashboardFailedQueries).toBe(0)
    // A target pool of the dashboard counts its failures (lib/db/connect.ts); this process has no sink, so they wait in memory.
    const dashboard = createDb(target.url, { max: 1, countFailures: true })
    try {
      await expect(sql`select 1 / 0`.execute(dashboard)).rejects.toThrow(/division by zero/)
      await expect(sql`select * from no_such_table`.execute(dashboard)).rejects.toThrow(/does not exist/)
    } finally {
      await dashboard.destroy()
    }
    const next = await takeSample(target.db, state.db, key)
    expect(next.metrics.dashboardFailedQueries).toBe(2)
    expect(next.counters.dashboardFailures).toBe((before.counters.dashboardFailures ?? 0) + 2)
    // Stored and read back like any metric (the Health page's series, `dbadmin metrics --json`).
    expect((await latestSample(state.db, key))?.metrics.dashboardFailedQueries).toBe(2)
    expect((await takeSample(target.db, state.db, key)).metrics.dashboardFailedQueries).toBe(0)
  })

  it('takes the age of the last successful full backup and whether the latest one failed from the catalogue', async () => {
    const insert = (status: string, kind: string, finishedHoursAgo: number, file: string) => sql`
      insert into backup (target_key, target_database, kind, format, origin, file, status, created_by, started_at, finished_at)
      values (${key}, 'x', ${kind}, 'custom', 'manual', ${file}, ${status}, 'test', now() - make_interval(hours => ${finishedHoursAgo + 1}), now() - make_interval(hours => ${finishedHoursAgo}))
    `.execute(state.db)
    await insert('succeeded', 'full', 30, 'a.dump')
    await insert('succeeded', 'schema', 2, 'b.dump')
    let s = await takeSample(target.db, state.db, key, { store: false })
    expect(s.metrics.backupAgeSeconds! / 3600).toBeCloseTo(30, 1)
    expect(s.metrics.lastBackupFailed).toBe(0)
    await insert('failed', 'full', 1, 'c.dump')
    s = await takeSample(target.db, state.db, key, { store: false })
    expect(s.metrics.lastBackupFailed).toBe(1)
  })
})
