import pg from 'pg'
import { createDb } from '../lib/db/connect'
import { targetIdentity } from '../lib/db/target-identity'
import { readIndexFindings } from '../lib/performance/index-findings'
import { HEALTH_LINE_KEYS } from '../lib/overview/attention'
import { e2eDatabaseUrl } from './e2e-db'
import { withStateDb } from './e2e-state-db'
import { asRole, expect, test } from './fixtures'
import { OverviewPage } from './pages/overview-page'

/**
 * The Overview's health summary on the demo: every concern has its line, green with its number
 * when fine, red with a seeded problem of each kind. What the sampler, the backups, the integrity
 * runs and the alerts record is seeded in the state database (the e2e server runs no sampler);
 * the index and vacuum lines read the demo itself. The rows and the table made here go afterwards.
 */
const VACUUM_TABLE = 'e2e overview; dead rows'
let key = ''
/** The demo's unused indexes (its seeded one, and any other nothing scanned yet), scanned once for the green line and reset afterwards. */
let unused: string[] = []
const made = { samples: [] as string[], backups: [] as string[], runs: [] as string[] }

async function onDemo<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: e2eDatabaseUrl('dor') })
  await c.connect()
  try {
    return await fn(c)
  } finally {
    await c.end()
  }
}

/** A sample as the sampler stores one; dated ahead so that it stays the fresh one while the page loads. */
async function seedSample(metrics: Record<string, number>, minutesAhead: number) {
  await withStateDb(async (db) => {
    const { rows } = await db.query<{ id: string }>(
      `insert into metric_sample (target_key, taken_at, metrics, counters) values ($1, now() + make_interval(mins => $2), $3, '{}') returning id`,
      [key, minutesAhead, JSON.stringify(metrics)],
    )
    made.samples.push(rows[0].id)
  })
}

async function seedBackup(status: 'succeeded' | 'failed') {
  await withStateDb(async (db) => {
    const { rows } = await db.query<{ id: string }>(
      `insert into backup (target_key, target_database, kind, format, origin, file, status, created_by, started_at, finished_at)
       values ($1, 'dor', 'full', 'custom', 'manual', $2, $3, 'e2e overview', now(), now()) returning id`,
      [key, `e2e-overview-${status}-${Date.now()}.dump`, status],
    )
    made.backups.push(rows[0].id)
  })
}

/** The latest finished integrity run, with `problems` checks that found rows. */
async function seedIntegrityRun(problems: number) {
  await withStateDb(async (db) => {
    const { rows } = await db.query<{ id: string }>(
      `insert into integrity_run (target_database, target_key, status, trigger, started_by, finished_at) values ('dor', $1, 'succeeded', 'manual', 'e2e overview', now()) returning id`,
      [key],
    )
    made.runs.push(rows[0].id)
    for (let i = 0; i < problems; i++) {
      await db.query(`insert into integrity_finding (run_id, "check", key, finding, count) values ($1, 'orphans', $2, '{}', 3)`, [rows[0].id, `e2e-${i}`])
    }
  })
}

test.beforeAll(async () => {
  const db = createDb(e2eDatabaseUrl('dor'), { max: 1 })
  try {
    key = (await targetIdentity(db)).key
    const { findings } = await readIndexFindings(db)
    unused = findings.filter((f) => f.kind === 'unused').map((f) => `${f.schema}.${f.index}`)
  } finally {
    await db.destroy()
  }
})

test.afterAll(async () => {
  await withStateDb(async (db) => {
    await db.query('delete from metric_sample where id = any($1::bigint[])', [made.samples])
    await db.query('delete from backup where id = any($1::uuid[])', [made.backups])
    await db.query('delete from integrity_finding where run_id = any($1::bigint[])', [made.runs])
    await db.query('delete from integrity_run where id = any($1::bigint[])', [made.runs])
    await db.query(`delete from alert_state where target_key = $1 and message = 'E2E overview'`, [key])
  })
  await onDemo(async (c) => {
    await c.query(`drop table if exists "${VACUUM_TABLE}"`)
    // The demo's unused indexes are unused again for the performance specs.
    for (const ix of unused) await c.query(`select pg_stat_reset_single_table_counters(to_regclass($1))`, [ix])
  })
})

test.describe('the Overview health summary as viewer', () => {
  asRole('viewer')
  test.describe.configure({ mode: 'serial' })

  test('shows a red line with its link for a seeded problem of each kind, problems first', async ({ page }) => {
    await seedSample({ connectionUse: 0.95, longestQuerySeconds: 45, blockedSessions: 2, longestIdleInTransactionSeconds: 50, cacheHitRatio: 0.5 }, 10)
    await seedBackup('failed')
    await seedIntegrityRun(2)
    await withStateDb((db) =>
      db.query(
        `insert into alert_state (target_key, rule, state, pending_since, firing_since, value, threshold, message, evaluated_at)
         values ($1, 'transactionIdAge', 'firing', now(), now(), 1600000000, 1500000000, 'E2E overview', now() + interval '1 day')
         on conflict (target_key, rule) do update set state = 'firing', firing_since = now(), message = 'E2E overview', evaluated_at = now() + interval '1 day'`,
        [key],
      ),
    )
    await onDemo(async (c) => {
      await c.query(`create table "${VACUUM_TABLE}" (id int primary key) with (autovacuum_enabled = off)`)
      await c.query(`insert into "${VACUUM_TABLE}" select generate_series(1, 2000)`)
      await c.query(`delete from "${VACUUM_TABLE}" where id > 500`)
      await c.query('select pg_stat_force_next_flush()')
    })

    const overview = new OverviewPage(page)
    await overview.goto()
    await expect(overview.items()).toHaveCount(HEALTH_LINE_KEYS.length)
    const red: [string, RegExp, string][] = [
      ['connections', /^critical 95\.0 % of max_connections in use \(alert at 80\.0 %\)\./, '/connections'],
      ['long-query', /^warning A query has been running for 45 s \(over 30 s\)\./, '/activity'],
      ['blocked', /^warning 2 sessions are waiting for a lock\./, '/activity'],
      ['idle-in-transaction', /^warning A session has been idle in transaction for 50 s \(over 30 s\)\./, '/activity'],
      ['cache', /^warning Cache hit ratio 50\.0 %, below 99\.0 %/, '/health'],
      // The demo's own seeded problem: indexes nothing scans.
      ['indexes', /^warning Indexes: .*\d+ unused index/, '/indexes'],
      ['vacuum', new RegExp(`^warning Vacuum: 1 table needs VACUUM .*most in public\\."${VACUUM_TABLE}"`), '/tables'],
      ['integrity', /^warning 2 integrity checks found problems in run #\d+/, '/integrity?run='],
      // The demo leaves its newest migration pending.
      ['migrations-pending', /^warning 1 migration is pending\./, '/migrations'],
      ['backup', /^critical The latest backup failed\./, '/backups'],
      ['alerts', /^(critical|warning) \d+ alerts? firing: .*Transaction-ID age past 1\.5 billion/, '/alerts'],
    ]
    for (const [k, text, href] of red) {
      const line = overview.item(k)
      await expect(line, k).not.toHaveAttribute('data-severity', 'ok')
      await expect(line, k).toHaveText(new RegExp(text.source.replace(/^\^/, '^\\s*')))
      await expect(overview.lineLink(line), k).toHaveAttribute('href', new RegExp(`^${href.replace(/[?]/g, '\\?')}`))
    }
    // The demo has no edited migration: that line stays green, after every red one.
    await expect(overview.item('migrations-edited')).toHaveAttribute('data-severity', 'ok')
    await expect(overview.items().last()).toHaveAttribute('data-item', 'migrations-edited')
    await expect(overview.summary()).toHaveText(`${red.length} of ${HEALTH_LINE_KEYS.length} concerns need attention.`)
  })

  test('shows every line green with its number once each problem is gone (the pending migration aside)', async ({ page }) => {
    await seedSample({ connectionUse: 0.05, longestQuerySeconds: 2, blockedSessions: 0, longestIdleInTransactionSeconds: 0, cacheHitRatio: 0.999 }, 20)
    await seedBackup('succeeded')
    await seedIntegrityRun(0)
    await withStateDb((db) => db.query(`delete from alert_state where target_key = $1 and message = 'E2E overview'`, [key]))
    await onDemo(async (c) => {
      await c.query(`vacuum "${VACUUM_TABLE}"`)
      // Scanned once (a search for NULL in its first column), each unused index is used; its counters are reset afterwards.
      await c.query('set enable_seqscan = off')
      for (const ix of unused) {
        const { rows } = await c.query<{ schema: string; table: string; column: string }>(
          `select n.nspname as schema, t.relname as table, a.attname as column
           from pg_index i join pg_class t on t.oid = i.indrelid join pg_namespace n on n.oid = t.relnamespace
           join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
           where i.indexrelid = to_regclass($1)`,
          [ix],
        )
        const r = rows[0]
        await c.query(`select 1 from ${c.escapeIdentifier(r.schema)}.${c.escapeIdentifier(r.table)} where ${c.escapeIdentifier(r.column)} is null`)
      }
      await c.query('select pg_stat_force_next_flush()')
    })

    const overview = new OverviewPage(page)
    await expect(async () => {
      await overview.goto()
      await expect(overview.item('indexes')).toHaveAttribute('data-severity', 'ok', { timeout: 1000 })
      await expect(overview.item('vacuum')).toHaveAttribute('data-severity', 'ok', { timeout: 1000 })
    }).toPass({ timeout: 20_000 })
    const green: [string, RegExp][] = [
      ['connections', /Connections: 5\.0 % of max_connections in use \(alert at 80\.0 %\)\./],
      ['long-query', /Long-running queries: 0 over 30 s \(the longest 2 s\)\./],
      ['blocked', /Blocked sessions: 0 waiting for a lock\./],
      ['idle-in-transaction', /Idle in transaction: 0 sessions over 30 s\./],
      ['cache', /Cache hit ratio 99\.90 % \(alert below 99\.0 %\)\./],
      ['indexes', /Indexes: 0 unused, duplicate or invalid\./],
      ['vacuum', /Vacuum: 0 tables with 20\.0 % or more dead rows\./],
      ['integrity', /Integrity: 0 checks with findings in run #\d+/],
      ['migrations-edited', /Migrations: 0 applied ones edited afterwards\./],
      ['backup', /Last successful backup: \d+ s old \(alert over 26 h\)\./],
      ['alerts', /Alerts: 0 firing\./],
    ]
    for (const [k, text] of green) {
      const line = overview.item(k)
      await expect(line, k).toHaveAttribute('data-severity', 'ok')
      await expect(line, k).toContainText(text)
      await expect(overview.okBadge(line), k).toHaveText('ok')
      await expect(overview.lineLink(line), k).toHaveAttribute('href', /^\/[a-z]+/)
    }
    // Only the demo's pending migration is left, first.
    await expect(overview.items().first()).toHaveAttribute('data-item', 'migrations-pending')
    await expect(overview.summary()).toHaveText(`1 of ${HEALTH_LINE_KEYS.length} concerns need attention.`)
  })
})

test.describe('the Overview backup card as viewer', () => {
  asRole('viewer')

  test('shows the newest restore drill, red when it failed, though a newer backup was taken since', async ({ page }) => {
    const file = `e2e-overview-drilled-${Date.now()}.dump`
    await withStateDb(async (db) => {
      // A drill newer than any other (verified a minute ahead), of a backup older than the newest one.
      const { rows } = await db.query<{ id: string }>(
        `insert into backup (target_key, target_database, kind, format, origin, file, status, created_by, started_at, finished_at, verify_kind, verify_ok, verify_error, verified_at)
         values ($1, 'dor', 'full', 'custom', 'scheduled', $2, 'succeeded', 'e2e overview', now() - interval '3 days', now() - interval '3 days', 'drill', false, 'public.meeting has 194 rows after the restore, 195 at backup time', now() + interval '1 minute') returning id`,
        [key, file],
      )
      made.backups.push(rows[0].id)
    })
    await seedBackup('succeeded')
    const overview = new OverviewPage(page)
    await overview.goto()
    await expect(overview.backupDrill).toHaveAttribute('data-ok', 'false')
    await expect(overview.backupDrill).toContainText(`Last restore drill FAILED less than an hour ago (full backup ${file}): public.meeting has 194 rows`)
  })
})
