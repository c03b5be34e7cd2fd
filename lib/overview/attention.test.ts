import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppSessions, waitFor } from '../../test/app-sessions'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { freshStateDb } from '../../test/state-db'
import { saveRuleSetting } from '../alerts/rule-settings'
import { targetIdentity } from '../db/target-identity'
import { METRIC_NAMES, type MetricValues } from '../metrics/metric-names'
import { insertSample } from '../metrics/sample-store'
import { type AttentionSources, whatNeedsAttention } from './attention'
import { overviewConcerns } from './concerns'

let target: FreshDatabase
let state: Awaited<ReturnType<typeof freshStateDb>>
let app: AppSessions
let key: string
let migrations: Awaited<ReturnType<AttentionSources['migrations']>>

beforeAll(async () => {
  ;[target, state] = await Promise.all([freshDatabase('attention_t'), freshStateDb()])
  await sql`alter database ${sql.id(new URL(target.url).pathname.slice(1))} set pg_stat_statements.track = 'none'`.execute(target.db)
  key = (await targetIdentity(target.db)).key
  app = new AppSessions(target.url)
  migrations = { pending: [], blockingEdits: [], management: { mode: 'ours' } as never }
})
afterAll(async () => {
  await app?.closeAll()
  await Promise.all([target?.drop(), state?.drop()])
})

const attention = () => whatNeedsAttention({ state: state.db, target: target.db, targetKey: key, migrations: async () => migrations })
const keys = async () => (await attention()).map((i) => i.key)

async function backup(status: 'succeeded' | 'failed', hoursAgo: number) {
  await state.db
    .insertInto('backup')
    .values({
      target_key: key,
      target_database: 'dor',
      kind: 'full',
      format: 'custom',
      origin: 'manual',
      file: `${status}-${hoursAgo}-${Math.random()}.dump`,
      status,
      created_by: 't',
      started_at: sql`now() - make_interval(hours => ${hoursAgo})`,
      finished_at: sql`now() - make_interval(hours => ${hoursAgo})`,
    })
    .execute()
}

describe('what needs attention on the Overview', () => {
  it('lists a seeded problem of each kind, most severe first, and nothing once all is well', async () => {
    // A fresh database has never been backed up: that alone needs attention.
    expect(await attention()).toEqual([
      { key: 'backup-age', severity: 'critical', text: 'There is no successful full backup of this database.', href: '/backups', linkLabel: 'Open Backups' },
    ])
    await backup('succeeded', 30)
    expect((await attention())[0]).toMatchObject({ key: 'backup-age', severity: 'warning', text: expect.stringMatching(/^The last successful backup is .+ old \(over 26 h\)\.$/) })
    await backup('failed', 1)
    expect(await keys()).toEqual(['backup-failed', 'backup-age'])
    await backup('succeeded', 0)
    expect(await keys()).toEqual([])

    // Firing alerts, from the state the sampler recorded.
    await state.db
      .insertInto('alert_state')
      .values([
        { target_key: key, rule: 'longRunningQuery', state: 'firing', firing_since: new Date(), evaluated_at: new Date() },
        { target_key: key, rule: 'transactionIdAge', state: 'firing', firing_since: new Date(), evaluated_at: new Date() },
        { target_key: key, rule: 'cacheHitRatioLow', state: 'pending', pending_since: new Date(), evaluated_at: new Date() },
      ])
      .execute()
    expect(await attention()).toEqual([
      {
        key: 'alerts',
        severity: 'critical',
        text: '2 alerts firing: Query running over 30 seconds; Transaction-ID age past 1.5 billion.',
        href: '/alerts',
        linkLabel: 'Open Alerts',
      },
    ])
    await state.db.deleteFrom('alert_state').execute()

    // The latest finished integrity run's checks with findings.
    const run = await state.db
      .insertInto('integrity_run')
      .values({ target_database: 'dor', target_key: key, status: 'succeeded', trigger: 'manual', started_by: 't', finished_at: new Date() })
      .returning('id')
      .executeTakeFirstOrThrow()
    await state.db
      .insertInto('integrity_finding')
      .values([
        { run_id: run.id, check: 'orphans', key: 'a', finding: '{}', count: 4 },
        { run_id: run.id, check: 'orphans', key: 'b', finding: '{}', count: 0 },
        { run_id: run.id, check: 'enum', key: 'c', finding: '{}', count: null, error: 'timeout' },
      ])
      .execute()
    expect((await attention())[0]).toMatchObject({ key: 'integrity', href: `/integrity?run=${run.id}`, text: expect.stringMatching(new RegExp(`^2 integrity checks found problems in run #${run.id} \\(`)) })
    await state.db.insertInto('integrity_run').values({ target_database: 'dor', target_key: key, status: 'succeeded', trigger: 'manual', started_by: 't', finished_at: new Date() }).execute()

    // Pending migrations and edits after apply.
    migrations = { ...migrations, pending: ['20261201_000001_a', '20261202_000002_b'], blockingEdits: ['20261101_000001_init'] }
    expect(await attention()).toEqual([
      expect.objectContaining({ key: 'migrations-edited', severity: 'critical', text: '1 applied migration was edited afterwards: 20261101_000001_init.' }),
      expect.objectContaining({ key: 'migrations-pending', severity: 'warning', text: '2 migrations are pending.', href: '/migrations' }),
    ])
    migrations = { ...migrations, pending: [], blockingEdits: [] }
    expect(await keys()).toEqual([])
  })

  it('long and blocked queries, idle transactions and connection use, read live without a fresh sample, by the rules’ thresholds', async () => {
    // Lower thresholds, as an admin may set them on the Alerts page, so that the test need not wait 30 s.
    await saveRuleSetting(state.db, key, 'longRunningQuery', { threshold: 1 }, 'admin')
    await saveRuleSetting(state.db, key, 'idleInTransaction', { threshold: 1 }, 'admin')
    await sql`create table "ünïcode lock" (id int)`.execute(target.db)
    const holder = await app.open()
    await holder.query('begin')
    await holder.query('lock table "ünïcode lock"')
    const waiter = await app.open()
    const waiting = app.start(waiter, 'select * from "ünïcode lock"')
    try {
      await new Promise((r) => setTimeout(r, 1200))
      const items = await waitFor(async () => {
        const i = await attention()
        return i.length === 3 && i
      }, 10_000, 'three activity lines')
      expect(items.map((i) => i.key)).toEqual(['long-query', 'blocked', 'idle-in-transaction'])
      expect(items[1]).toMatchObject({ text: '1 session is waiting for a lock.', href: '/activity' })
      expect(items[0].text).toMatch(/^A query has been running for .+ \(over 1 s\)\.$/)
    } finally {
      await holder.query('rollback')
      await waiting
    }
    expect(await keys()).toEqual([])
    await saveRuleSetting(state.db, key, 'connectionsHigh', { threshold: 0.0001 }, 'admin')
    expect(await attention()).toEqual([expect.objectContaining({ key: 'connections', severity: 'warning', href: '/connections', text: expect.stringMatching(/ of max_connections in use \(alert at 0\.0 %\)\.$/) })])
    await saveRuleSetting(state.db, key, 'connectionsHigh', { threshold: 0.8 }, 'admin')
  })

  it('a fresh sample is read instead of the live statistics', async () => {
    await sample({ connectionUse: 0.95, longestQuerySeconds: 45, blockedSessions: 0, longestIdleInTransactionSeconds: 0 })
    expect((await attention()).map((i) => [i.key, i.severity])).toEqual([
      ['connections', 'critical'],
      ['long-query', 'warning'],
    ])
  })

  it('indexes, vacuum and cache each have a line: green on a clean database, red with what is wrong', async () => {
    const concerns = async () => Object.fromEntries((await overviewConcerns({ state: state.db, target: target.db, targetKey: key })).map((c) => [c.key, c]))
    await sample({ cacheHitRatio: 0.999 })
    const clean = await concerns()
    expect(Object.keys(clean)).toEqual(['indexes', 'vacuum', 'cache'])
    expect(clean.indexes).toEqual({ key: 'indexes', status: 'ok', text: 'Indexes: no unused, duplicate or invalid index.', href: '/indexes', linkLabel: 'Open Indexes' })
    expect(clean.vacuum).toMatchObject({ status: 'ok', href: '/tables', text: 'Vacuum: no table has 20.0 % or more dead rows.' })
    expect(clean.cache).toMatchObject({ status: 'ok', href: '/health', text: 'Cache hit ratio 99.90 % (alert below 99.0 %).' })

    await sample({ cacheHitRatio: 0.5 })
    expect((await concerns()).cache).toMatchObject({ status: 'warning', text: expect.stringMatching(/^Cache hit ratio 50\.0 %, below 99\.0 %/) })

    await sql`create table "Order; DROP TABLE x;--" (id int primary key, v int) with (autovacuum_enabled = off)`.execute(target.db)
    await sql`insert into "Order; DROP TABLE x;--" select g, g from generate_series(1, 2000) g`.execute(target.db)
    await sql`create index "v one" on "Order; DROP TABLE x;--" (v)`.execute(target.db)
    await sql`create index "v two" on "Order; DROP TABLE x;--" (v)`.execute(target.db)
    await target.db.connection().execute(async (c) => {
      await sql`delete from "Order; DROP TABLE x;--" where id > 500`.execute(c)
      await sql`select pg_stat_force_next_flush()`.execute(c)
    })
    const dirty = await waitFor(async () => {
      const c = await concerns()
      return c.vacuum.status !== 'ok' && c
    }, 10_000, 'the dead rows in the statistics')
    expect(dirty.indexes).toMatchObject({ status: 'warning', text: 'Indexes: 1 duplicate or redundant index, 1 unused index.' })
    expect(dirty.vacuum).toMatchObject({ status: 'warning', text: 'Vacuum: 1 table needs VACUUM (20.0 % or more dead rows), most in public."Order; DROP TABLE x;--".' })

    await sql`drop index "v two"`.execute(target.db)
    await sql`drop index "v one"`.execute(target.db)
    await sql`vacuum "Order; DROP TABLE x;--"`.execute(target.db)
    await sample({ cacheHitRatio: 1 })
    const again = await waitFor(async () => {
      const c = await concerns()
      return Object.values(c).every((l) => l.status === 'ok') && c
    }, 10_000, 'all green again')
    expect(Object.keys(again)).toEqual(['indexes', 'vacuum', 'cache'])
  })
})

async function sample(values: Partial<MetricValues>) {
  const metrics = Object.fromEntries(METRIC_NAMES.map((n) => [n, null])) as MetricValues
  await insertSample(state.db, {
      targetKey: key,
      takenAt: new Date(),
      metrics: { ...metrics, ...values },
      counters: { xactCommit: 0, xactRollback: 0, blksHit: 0, blksRead: 0, idxBlksHit: null, idxBlksRead: null, deadlocks: 0, tempBytes: 0, walLsn: null, statementCalls: null, statementTotalMs: null },
      postmasterStartAt: null,
      statsResetAt: null,
      statementsResetAt: null,
      counterReset: 'first',
      details: {},
      durationMs: 1,
    })
}
