import type { Locator, Page } from '@playwright/test'
import pg from 'pg'
import { createDb } from '../lib/db/connect'
import { targetIdentity } from '../lib/db/target-identity'
import { e2eDatabaseUrl } from './e2e-db'
import { E2E, storageStatePath } from './e2e-env'
import { withStateDb } from './e2e-state-db'
import { asRole, expect, test } from './fixtures'
import { ActivityPage } from './pages/activity-page'
import { ConnectionsPage } from './pages/connections-page'
import { IndexesPage } from './pages/indexes-page'
import { SettingsPage } from './pages/settings-page'
import { Shell } from './pages/shell'
import { SlowQueriesPage } from './pages/slow-queries-page'
import { TablesPage } from './pages/tables-page'

/** A session of "another application" on the demo database, for the pages to show and act on. */
async function appSession(): Promise<pg.Client & { pid: number }> {
  const c = new pg.Client({ connectionString: e2eDatabaseUrl('dor'), application_name: 'e2e-app' }) as pg.Client & { pid: number }
  c.on('error', () => {})
  await c.connect()
  c.pid = (await c.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0].pid
  return c
}

/** Each page, and the part of it that holds its data. */
const PAGES: { heading: string; data: (page: Page) => Locator }[] = [
  { heading: 'Activity', data: (page) => new ActivityPage(page).sessions.root },
  { heading: 'Slow queries', data: (page) => new SlowQueriesPage(page).statements.root },
  { heading: 'Indexes', data: (page) => new IndexesPage(page).indexes.root },
  { heading: 'Tables', data: (page) => new TablesPage(page).tables.root },
  { heading: 'Connections', data: (page) => new ConnectionsPage(page).pools },
  { heading: 'Settings', data: (page) => new SettingsPage(page).settings },
]

for (const role of ['viewer', 'operator'] as const) {
  test.describe(`performance pages as ${role}`, () => {
    asRole(role)

    test('each page opens from the navigation with its data and the thresholds beside the findings', async ({ page }) => {
      const shell = new Shell(page)
      await page.goto('/overview')
      for (const p of PAGES) {
        await shell.navLink(p.heading, { exact: true }).click()
        await expect(shell.heading(p.heading)).toBeVisible()
        await expect(p.data(page)).toBeVisible()
      }
      const activity = new ActivityPage(page)
      await activity.goto()
      await expect(activity.thresholds.first()).toContainText('source: DoR runbook')
      const connections = new ConnectionsPage(page)
      await connections.goto()
      await expect(connections.pools).toContainText('target')
      // Replication slots are listed for everyone; dropping one is for admins only.
      await expect(connections.replicationSlots).toBeVisible()
      await expect(connections.dropSlotButtons).toHaveCount(0)
      const tables = new TablesPage(page)
      await tables.goto()
      await expect(tables.tables.root).toContainText('public.agenda_item')
      // pghero's cache hit check beside its threshold.
      await expect(tables.cacheHit).toContainText('cache hit ratio below 99 % (source: pghero')
      await expect(tables.cacheHitOf('indexes')).toContainText(/\d+\.\d %/)
      // Maintenance buttons only for operators.
      await expect(tables.vacuumButtons).toHaveCount(role === 'operator' ? await tables.tables.rows().count() : 0)
    })

    test('indexes and tables sort, filter and page on the server; sequences near their maximum come with the ALTER', async ({ page }) => {
      const setup = await appSession()
      try {
        await setup.query('create sequence if not exists public.e2e_seq_danger as integer')
        await setup.query("select setval('public.e2e_seq_danger', 2100000000)")
      } finally {
        await setup.end()
      }
      const indexes = new IndexesPage(page)
      await indexes.goto('?q=meeting_title&sort=size')
      await expect(indexes.indexes.sortedBy('descending')).toContainText('Size')
      await expect(indexes.indexRows('meeting_title_idx')).toHaveCount(1)
      await expect(indexes.indexRows('CREATE INDEX meeting_title_idx ON public.meeting')).toHaveCount(1)
      for (const text of await indexes.indexRows().allTextContents()) expect(text).toContain('meeting')
      await indexes.goto('?q=no-such-index-anywhere')
      await expect(indexes.indexes.root).toContainText('No index matches the filter.')

      const tables = new TablesPage(page)
      await tables.goto('?q=agenda&sort=xid&dir=asc')
      await expect(tables.tables.sortedBy('ascending')).toContainText('XID age')
      await expect(tables.tables.root).toContainText('public.agenda_item')
      await expect(tables.tables.root).not.toContainText('public.meeting')

      const danger = tables.sequence('public.e2e_seq_danger')
      await expect(danger).toContainText('97.7 % used')
      await expect(danger).toContainText('ALTER SEQUENCE public.e2e_seq_danger AS bigint MAXVALUE 9223372036854775807;')
      await expect(tables.sequenceDanger).toContainText('share of a sequence range used 90 % (source: pghero')
    })

    test('slow queries sort and filter on the server, and EXPLAIN shows a plan tree', async ({ page }) => {
      // pg_stat_statements keys statements by their structure, not their comments: one table per role.
      const [table, column] = role === 'viewer' ? ['agenda_item', 'meeting_id'] : ['fileupload', 'agenda_item_id']
      const app = await appSession()
      await app.query(`select count(*), max(id) /* e2e-slow-${role} */ from public.${table} where ${column} = 1`).finally(() => app.end())
      const slow = new SlowQueriesPage(page)
      await slow.goto('?sort=calls')
      await expect(slow.statements.sortedBy('descending')).toContainText('Calls')
      await slow.filter(`e2e-slow-${role}`)
      await expect(page).toHaveURL(new RegExp(`q=e2e-slow-${role}`))
      await expect(slow.statements.rows()).toHaveCount(1)
      await expect(slow.statements.first()).toContainText(`${column} = $1`)
      const form = await slow.openExplain(`e2e-slow-${role}`)
      await slow.explain(form)
      await expect(slow.planNodes(form).first()).toBeVisible()
      await expect(slow.costliestNode(form)).toHaveCount(1)
      await expect(slow.analyzeOption(form)).toHaveCount(role === 'operator' ? 1 : 0)
    })

    test("a statement's history: calls and mean time charted, the last 24 hours against the 24 before", async ({ page }) => {
      const [table, column] = role === 'viewer' ? ['agenda_item', 'meeting_id'] : ['fileupload', 'agenda_item_id']
      const app = await appSession()
      await app.query(`select count(*), max(id) /* e2e-slow-${role} */ from public.${table} where ${column} = 1`).finally(() => app.end())
      const slow = new SlowQueriesPage(page)
      await slow.goto(`?q=e2e-slow-${role}`)
      const row = slow.statements.rowWith(`e2e-slow-${role}`).first()
      const queryid = (await row.getAttribute('data-queryid'))!
      // Deltas as the sampler stores them (lib/metrics/query-stats.ts): 30 calls at 10 ms now, 20 at 20 ms the day before.
      const db = createDb(e2eDatabaseUrl('dor'), { max: 1 })
      const key = await targetIdentity(db).finally(() => db.destroy())
      await withStateDb(async (c) => {
        await c.query('delete from query_stat_sample where target_key = $1 and queryid = $2', [key.key, queryid])
        await c.query(
          `insert into query_stat_sample (target_key, since, taken_at, queryid, calls, total_ms, rows, shared_blks_hit, shared_blks_read)
           select $1, now() - make_interval(hours => h) - interval '5 minutes', now() - make_interval(hours => h), $2, calls, total_ms, calls, 0, 0
           from (values (2, 10, 100.0), (3, 20, 200.0), (30, 20, 400.0)) v(h, calls, total_ms)`,
          [key.key, queryid],
        )
      })
      await slow.openHistory(row)
      await expect(page).toHaveURL(new RegExp(`history=${queryid}`))
      await expect(slow.history).toHaveAttribute('data-queryid', queryid)
      await expect(slow.historyChart).toBeVisible()
      // Both lines drawn, with a point for each of the three intervals.
      await expect(slow.historyLines()).toHaveCount(2)
      await expect(slow.comparison('Calls')).toContainText(/20\s*30\s*\+50 %/)
      await expect(slow.comparison('Mean time')).toContainText(/20\.0 ms\s*10\.0 ms\s*−50 %/)
      await slow.historyPeriod('7d')
      await expect(page).toHaveURL(/period=7d/)
      await expect(slow.comparison('Calls')).toContainText(/0\s*50\s*–/)
      await slow.closeHistory()
      await expect(slow.history).toHaveCount(0)
    })
  })
}

test.describe('live routes', () => {
  test('answer 401 without a session, and JSON with one', async ({ playwright, browser }) => {
    const anon = await playwright.request.newContext({ baseURL: E2E.baseURL })
    const live = ['/api/performance/activity', '/api/performance/connections', '/api/performance/maintenance', '/api/performance/session-query?pid=1', '/api/integrity/progress', '/api/backups/progress']
    for (const path of live) {
      const res = await anon.get(path)
      expect(res.status(), path).toBe(401)
    }
    await anon.dispose()
    const context = await browser.newContext({ baseURL: E2E.baseURL, storageState: storageStatePath('viewer') })
    const res = await context.request.get('/api/performance/activity')
    expect(res.status()).toBe(200)
    expect(res.headers()['cache-control']).toBe('no-store')
    expect(await res.json()).toMatchObject({ counts: { clientBackends: expect.any(Number) }, sessions: expect.any(Array) })
    expect((await context.request.get('/api/performance/session-query?pid=x')).status()).toBe(400)
    // The progress the Integrity and Backups pages poll while work runs.
    const integrity = await context.request.get('/api/integrity/progress')
    expect(integrity.status()).toBe(200)
    expect(await integrity.json()).toMatchObject({ fixes: expect.any(Array) })
    const incomplete = await context.request.get('/api/integrity/progress?schema=public&table=agenda_item')
    expect(incomplete.status()).toBe(400)
    expect(await incomplete.json()).toMatchObject({ ok: false, message: 'The relation in the query string is incomplete.' })
    const backups = await context.request.get('/api/backups/progress')
    expect(backups.status()).toBe(200)
    expect(await backups.json()).toMatchObject({ running: expect.any(Boolean), progress: expect.any(Object) })
    await context.close()
  })
})

test.describe('activity as viewer', () => {
  asRole('viewer')

  test('sees a long query and a lock wait as a tree, and no Cancel or Terminate', async ({ page }) => {
    const holder = await appSession()
    const waiter = await appSession()
    try {
      await holder.query('begin')
      await holder.query('lock table public.meeting in access exclusive mode')
      void waiter.query('select count(*) from public.meeting').catch(() => {})
      const activity = new ActivityPage(page)
      await activity.goto()
      await expect(activity.blockingNode(holder.pid)).toBeVisible({ timeout: 15_000 })
      await expect(activity.waiterOf(holder.pid, waiter.pid)).toContainText('AccessShareLock')
      await expect(activity.session(holder.pid)).toContainText('idle in transaction')
      await expect(activity.cancelButton(waiter.pid)).toHaveCount(0)
      await expect(activity.terminateButton(holder.pid)).toHaveCount(0)
    } finally {
      await holder.query('rollback').catch(() => {})
      await Promise.all([holder.end(), waiter.end()])
    }
  })
})

test.describe('activity as operator', () => {
  asRole('operator')

  test('cancels a pg_sleep query from the Activity page; no Terminate for operators', async ({ page }) => {
    const sleeper = await appSession()
    const running = sleeper.query('select pg_sleep(120)').then(
      () => 'finished',
      (e: { code?: string }) => e.code,
    )
    try {
      const activity = new ActivityPage(page)
      await activity.goto()
      // The live table picks the session up on its next poll.
      await expect(activity.session(sleeper.pid)).toContainText('pg_sleep', { timeout: 15_000 })
      await expect(activity.terminateButton(sleeper.pid)).toHaveCount(0)
      const status = await activity.cancel(sleeper.pid)
      await expect(status).toContainText(`Asked session ${sleeper.pid}`)
      expect(await running).toBe('57014')
      await expect(activity.session(sleeper.pid)).toContainText('idle', { timeout: 15_000 })
    } finally {
      await sleeper.end()
    }
  })
})

test.describe('indexes and tables as operator', () => {
  asRole('operator')

  test('drops a duplicate index from its finding and runs ANALYZE on a table, as jobs with their status', async ({ page }) => {
    const setup = await appSession()
    try {
      await setup.query('create index if not exists e2e_meeting_dup_a on public.meeting (id, title)')
      await setup.query('create index if not exists e2e_meeting_dup_b on public.meeting (id, title)')
    } finally {
      await setup.end()
    }
    const indexes = new IndexesPage(page)
    await indexes.goto()
    const finding = indexes.finding('duplicate', 'e2e_meeting_dup_b')
    await expect(finding).toContainText('DROP INDEX CONCURRENTLY public.e2e_meeting_dup_b;')
    await indexes.run(finding, 'Run as a job')
    await expect(indexes.runStatus(finding)).toContainText('Queued maintenance job')
    await expect(indexes.jobStatus('DROP INDEX CONCURRENTLY public.e2e_meeting_dup_b')).toHaveText('succeeded', { timeout: 20_000 })
    await page.reload()
    await expect(indexes.finding('duplicate', 'e2e_meeting_dup_b')).toHaveCount(0)

    const tables = new TablesPage(page)
    await tables.goto()
    await tables.run(tables.tableRow('public.meeting'), 'ANALYZE')
    await expect(tables.jobStatus('ANALYZE public.meeting;')).toHaveText('succeeded', { timeout: 20_000 })
    const cleanup = await appSession()
    await cleanup.query('drop index if exists public.e2e_meeting_dup_a').finally(() => cleanup.end())
  })
})
