import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppSessions, waitFor } from '../../test/app-sessions'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { freshStateDb } from '../../test/state-db'
import { saveRuleSetting } from '../alerts/rule-settings'
import { targetIdentity } from '../db/target-identity'
import { METRIC_NAMES, type MetricValues } from '../metrics/metric-names'
import { insertSample } from '../metrics/sample-store'
import { type AttentionSources, HEALTH_LINE_KEYS, type HealthLine, type HealthLineKey, healthLines } from './attention'

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

const attention = () => healthLines({ state: state.db, target: target.db, targetKey: key, migrations: async () => migrations })
const byKey = async () => Object.fromEntries((await attention()).map((l) => [l.key, l])) as Record<HealthLineKey, HealthLine>
/** The lines that are not green, in the order shown. */
const problems = async () => (await attention()).filter((l) => l.status !== 'ok').map((l) => l.key)

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

describe('the health summary of the Overview', () => {
  it('has a line for every concern, always; green with its number when fine, red with a seeded problem of each state-database kind', async () => {
    // A fresh database has never been backed up: that line alone is red, first; the others are green.
    const first = await attention()
    expect(first.map((l) => l.key)).toEqual(['backup', ...HEALTH_LINE_KEYS.filter((k) => k !== 'backup')])
    expect(first[0]).toEqual({ key: 'backup', status: 'critical', text: 'There is no successful full backup of this database.', href: '/backups', linkLabel: 'Open Backups' })
    await backup('succeeded', 30)
    expect((await byKey()).backup).toMatchObject({ status: 'warning', text: expect.stringMatching(/^The last successful backup is .+ old \(over 26 h\)\.$/) })
    await backup('failed', 1)
    expect((await byKey()).backup).toMatchObject({ status: 'critical', text: expect.stringMatching(/^The latest backup failed\. The last successful backup is .+ old \(over 26 h\)\.$/) })
    await backup('succeeded', 0)
    expect(await problems()).toEqual([])

    // Every line green, in the order, each with its number and link.
    const clean = await attention()
    expect(clean.map((l) => l.key)).toEqual([...HEALTH_LINE_KEYS])
    expect(clean.every((l) => l.status === 'ok' && l.href.startsWith('/') && l.linkLabel.startsWith('Open '))).toBe(true)
    const green = Object.fromEntries(clean.map((l) => [l.key, l.text]))
    expect(green).toMatchObject({
      'connections': expect.stringMatching(/^Connections: \d+\.\d+ % of max_connections in use \(alert at 80\.0 %\)\.$/),
      'long-query': expect.stringMatching(/^Long-running queries: 0 over 30 s \(the longest .+\)\.$/),
      'blocked': 'Blocked sessions: 0 waiting for a lock.',
      'idle-in-transaction': 'Idle in transaction: 0 sessions over 30 s.',
      'indexes': 'Indexes: 0 unused, duplicate or invalid.',
      'vacuum': 'Vacuum: 0 tables with 20.0 % or more dead rows.',
      'integrity': 'Integrity: no run has finished yet, so no finding.',
      'migrations-pending': 'Migrations: 0 pending.',
      'migrations-edited': 'Migrations: 0 applied ones edited afterwards.',
      'backup': expect.stringMatching(/^Last successful backup: \d+ s old \(alert over 26 h\)\.$/),
      'alerts': 'Alerts: 0 firing.',
    })

    // Firing alerts, from the state the sampler recorded.
    await state.db
      .insertInto('alert_state')
      .values([
        { target_key: key, rule: 'longRunningQuery', state: 'firing', firing_since: new Date(), evaluated_at: new Date() },
        { target_key: key, rule: 'transactionIdAge', state: 'firing', firing_since: new Date(), evaluated_at: new Date() },
        { target_key: key, rule: 'cacheHitRatioLow', state: 'pending', pending_since: new Date(), evaluated_at: new Date() },
      ])
      .execute()
    expect((await attention())[0]).toEqual({
      key: 'alerts',
      status: 'critical',
      text: '2 alerts firing: Query running over 30 seconds; Transaction-ID age past 1.5 billion.',
      href: '/alerts',
      linkLabel: 'Open Alerts',
    })
    expect(await problems()).toEqual(['alerts'])
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
    expect((await attention())[0]).toMatchObject({ key: 'integrity', status: 'warning', href: `/integrity?run=${run.id}`, text: expect.stringMatching(new RegExp(`^2 integrity checks found problems in run #${run.id} \\(`)) })
    const clean2 = await state.db.insertInto('integrity_run').values({ target_database: 'dor', target_key: key, status: 'succeeded', trigger: 'manual', started_by: 't', finished_at: new Date() }).returning('id').executeTakeFirstOrThrow()
    expect((await byKey()).integrity).toMatchObject({ status: 'ok', href: `/integrity?run=${clean2.id}`, text: expect.stringMatching(new RegExp(`^Integrity: 0 checks with findings in run #${clean2.id} \\(`)) })

    // Pending migrations and edits after apply.
    migrations = { ...migrations, pending: ['20261201_000001_a', '20261202_000002_b'], blockingEdits: ['20261101_000001_init'] }
    const lines = await attention()
    expect(lines.slice(0, 2)).toEqual([
      expect.objectContaining({ key: 'migrations-edited', status: 'critical', text: '1 applied migration was edited afterwards: 20261101_000001_init.' }),
      expect.objectContaining({ key: 'migrations-pending', status: 'warning', text: '2 migrations are pending.', href: '/migrations' }),
    ])
    expect(lines).toHaveLength(HEALTH_LINE_KEYS.length)
    migrations = { ...migrations, pending: [], blockingEdits: [] }
    expect(await problems()).toEqual([])
  })

  it('a source that cannot be read turns its own lines red and says why; the others stay', async () => {
    const lines = await healthLines({
      state: state.db,
      target: target.db,
      targetKey: key,
      migrations: async () => {
        throw new Error('permission denied for table kysely_migration\nDETAIL: secret')
      },
    })
    expect(lines).toHaveLength(HEALTH_LINE_KEYS.length)
    expect(lines.filter((l) => l.status !== 'ok')).toEqual([
      { key: 'migrations-pending', status: 'warning', text: 'Could not read the migrations: permission denied for table kysely_migration', href: '/migrations', linkLabel: 'Open Migrations' },
      { key: 'migrations-edited', status: 'warning', text: 'Could not read the migrations: permission denied for table kysely_migration', href: '/migrations', linkLabel: 'Open Migrations' },
    ])
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
        const i = (await attention()).filter((l) => l.status !== 'ok')
        return i.length === 3 && i
      }, 10_000, 'three activity lines')
      expect(items.map((i) => i.key)).toEqual(['long-query', 'blocked', 'idle-in-transaction'])
      expect(items[1]).toMatchObject({ text: '1 session is waiting for a lock.', href: '/activity' })
      expect(items[0].text).toMatch(/^A query has been running for .+ \(over 1 s\)\.$/)
    } finally {
      await holder.query('rollback')
      await waiting
    }
    expect(await problems()).toEqual([])
    await saveRuleSetting(state.db, key, 'connectionsHigh', { threshold: 0.0001 }, 'admin')
    expect((await attention())[0]).toEqual(expect.objectContaining({ key: 'connections', status: 'warning', href: '/connections', text: expect.stringMatching(/ of max_connections in use \(alert at 0\.0 %\)\.$/) }))
    expect(await problems()).toEqual(['connections'])
    await saveRuleSetting(state.db, key, 'connectionsHigh', { threshold: 0.8 }, 'admin')
    await saveRuleSetting(state.db, key, 'longRunningQuery', { threshold: 30 }, 'admin')
    await saveRuleSetting(state.db, key, 'idleInTransaction', { threshold: 30 }, 'admin')
  })

  it('a fresh sample is read instead of the live statistics', async () => {
    await sample({ connectionUse: 0.95, longestQuerySeconds: 45, blockedSessions: 0, longestIdleInTransactionSeconds: 0, cacheHitRatio: 0.999 })
    expect((await attention()).filter((l) => l.status !== 'ok').map((i) => [i.key, i.status])).toEqual([
      ['connections', 'critical'],
      ['long-query', 'warning'],
    ])
  })

  it('indexes, vacuum and cache: green on a clean database, red with what is wrong', async () => {
    await sample({ cacheHitRatio: 0.999 })
    const clean = await byKey()
    expect(clean.indexes).toEqual({ key: 'indexes', status: 'ok', text: 'Indexes: 0 unused, duplicate or invalid.', href: '/indexes', linkLabel: 'Open Indexes' })
    expect(clean.vacuum).toMatchObject({ status: 'ok', href: '/tables', text: 'Vacuum: 0 tables with 20.0 % or more dead rows.' })
    expect(clean.cache).toMatchObject({ status: 'ok', href: '/health', text: 'Cache hit ratio 99.90 % (alert below 99.0 %).' })

    await sample({ cacheHitRatio: 0.5 })
    expect((await byKey()).cache).toMatchObject({ status: 'warning', text: expect.stringMatching(/^Cache hit ratio 50\.0 %, below 99\.0 %/) })

    await sql`create table "Order; DROP TABLE x;--" (id int primary key, v int) with (autovacuum_enabled = off)`.execute(target.db)
    await sql`insert into "Order; DROP TABLE x;--" select g, g from generate_series(1, 2000) g`.execute(target.db)
    await sql`create index "v one" on "Order; DROP TABLE x;--" (v)`.execute(target.db)
    await sql`create index "v two" on "Order; DROP TABLE x;--" (v)`.execute(target.db)
    await target.db.connection().execute(async (c) => {
      await sql`delete from "Order; DROP TABLE x;--" where id > 500`.execute(c)
      await sql`select pg_stat_force_next_flush()`.execute(c)
    })
    const dirty = await waitFor(async () => {
      const c = await byKey()
      return c.vacuum.status !== 'ok' && c
    }, 10_000, 'the dead rows in the statistics')
    expect(dirty.indexes).toMatchObject({ status: 'warning', text: 'Indexes: 1 duplicate or redundant index, 1 unused index.' })
    expect(dirty.vacuum).toMatchObject({ status: 'warning', text: 'Vacuum: 1 table needs VACUUM (20.0 % or more dead rows), most in public."Order; DROP TABLE x;--".' })
    expect(await problems()).toEqual(['cache', 'indexes', 'vacuum'])

    await sql`drop index "v two"`.execute(target.db)
    await sql`drop index "v one"`.execute(target.db)
    await sql`vacuum "Order; DROP TABLE x;--"`.execute(target.db)
    await sample({ cacheHitRatio: 1 })
    await waitFor(async () => (await problems()).length === 0, 10_000, 'all green again')
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
