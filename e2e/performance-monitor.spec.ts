import type { Locator, Page } from '@playwright/test'
import pg from 'pg'
import { e2eDatabaseUrl } from './e2e-db'
import { storageStatePath } from './e2e-env'
import { expect, test } from './fixtures'
import { ActivityPage } from './pages/activity-page'
import { ConnectionsPage } from './pages/connections-page'
import { IndexesPage } from './pages/indexes-page'
import { Shell } from './pages/shell'
import { SlowQueriesPage } from './pages/slow-queries-page'
import { TablesPage } from './pages/tables-page'
import { type SecondDashboard, startSecondDashboard } from './second-dashboard'

// A dashboard on the demo database whose monitoring login has pg_monitor and CONNECT, nothing
// more: every performance page reads through it (issue 14's least privilege, through the pages).
const MONITOR = 'e2e_pg_monitor_only'
const APP = 'e2e_perf_app'
const PASSWORD = 'monitor-e2e-password-1'
let second: SecondDashboard

async function asSuperuser<T>(database: string, work: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: e2eDatabaseUrl(database) })
  await c.connect()
  try {
    return await work(c)
  } finally {
    await c.end()
  }
}

function loginUrl(role: string): string {
  const u = new URL(e2eDatabaseUrl('dor'))
  u.username = role
  u.password = PASSWORD
  return u.toString()
}

/** A session of `role` on the demo database running pg_sleep, and its pid. */
async function sleeper(role: string | null): Promise<{ pid: number; end: () => Promise<void> }> {
  const c = new pg.Client({ connectionString: role ? loginUrl(role) : e2eDatabaseUrl('dor'), application_name: 'e2e-app' })
  c.on('error', () => {})
  await c.connect()
  const pid = (await c.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0].pid
  void c.query('select pg_sleep(120)').catch(() => {})
  return { pid, end: () => c.end() }
}

/** Each page, and the part of it that holds its data. */
const PAGES: { path: string; heading: string; data: (page: Page) => Locator }[] = [
  { path: '/activity', heading: 'Activity', data: (page) => new ActivityPage(page).sessions.root },
  { path: '/slow-queries', heading: 'Slow queries', data: (page) => new SlowQueriesPage(page).statements.root },
  { path: '/indexes', heading: 'Indexes', data: (page) => new IndexesPage(page).indexes.root },
  { path: '/tables', heading: 'Tables', data: (page) => new TablesPage(page).tables.root },
  { path: '/connections', heading: 'Connections', data: (page) => new ConnectionsPage(page).pools },
]

test.describe('performance pages with a pg_monitor-only monitoring login', () => {
  test.describe.configure({ timeout: 180_000 })

  test.beforeAll(async () => {
    await asSuperuser('postgres', async (c) => {
      for (const role of [MONITOR, APP]) await c.query(`drop role if exists ${role}`)
      await c.query(`create role ${MONITOR} login password '${PASSWORD}' in role pg_monitor`)
      await c.query(`create role ${APP} login password '${PASSWORD}'`)
      await c.query(`grant connect on database dor to ${MONITOR}, ${APP}`)
    })
    second = await startSecondDashboard({ targetUrl: e2eDatabaseUrl('dor'), env: { MONITOR_DATABASE_URL: loginUrl(MONITOR), SIGNAL_DATABASE_URL: loginUrl(MONITOR) } })
  })
  test.afterAll(async () => {
    if (process.env.E2E_DEBUG) console.log(second?.output())
    await second?.stop()
    await asSuperuser('postgres', async (c) => {
      // Sessions of these roles (the test's, the second dashboard's) end with them.
      await c.query(`select pg_terminate_backend(pid) from pg_stat_activity where usename in ('${MONITOR}', '${APP}')`)
      await c.query(`revoke connect on database dor from ${MONITOR}, ${APP}`)
      for (const role of [MONITOR, APP]) await c.query(`drop role if exists ${role}`)
    })
  })

  test('a viewer opens every performance page: all of it shows, and what the login may not read is said', async ({ browser }) => {
    const app = await sleeper(APP)
    const root = await sleeper(null)
    const context = await browser.newContext({ baseURL: second.baseURL, storageState: storageStatePath('viewer') })
    const page = await context.newPage()
    const shell = new Shell(page)
    try {
      for (const p of PAGES) {
        await page.goto(p.path)
        await expect(shell.heading(p.heading)).toBeVisible()
        await expect(p.data(page)).toBeVisible()
        await expect(shell.errorPanel).toHaveCount(0)
        await expect(shell.says('could not be read', { exact: false })).toHaveCount(0)
      }
      // pg_monitor reads every session's query, the application's and the superuser's.
      const activity = new ActivityPage(page)
      await activity.goto()
      await expect(activity.session(app.pid)).toContainText('pg_sleep', { timeout: 15_000 })
      await expect(activity.session(root.pid)).toContainText('pg_sleep')
      await expect(shell.says('<insufficient privilege>')).toHaveCount(0)
      await expect(shell.says(`Cancel and Terminate cannot work with this login: ${MONITOR} is not a member of pg_signal_backend`)).toBeVisible()
      // Statement texts of other roles, with no banner about hidden texts.
      const slow = new SlowQueriesPage(page)
      await slow.goto()
      await expect(slow.statements.root).not.toContainText('<insufficient privilege>')
      await expect(shell.says('are hidden from')).toHaveCount(0)
      // The demo's tables belong to postgres: their column statistics, and so bloat, are not for pg_monitor.
      const tables = new TablesPage(page)
      await tables.goto()
      await expect(tables.tables.root).toContainText('public.agenda_item')
      await expect(tables.cacheHitOf('tables')).toContainText(/\d+\.\d %/)
      await expect(shell.says(/^Bloat is not estimated for \d+ tables? this role may not read: pg_stats hides their statistics/)).toBeVisible()
      // Index usage and the demo's unused index are catalogue facts pg_monitor reads.
      const indexes = new IndexesPage(page)
      await indexes.goto()
      await expect(indexes.indexes.root).toContainText('meeting_title_idx')
      const connections = new ConnectionsPage(page)
      await connections.goto()
      await expect(connections.pools).toContainText('target')
      await expect(shell.says('grant it pg_monitor')).toHaveCount(0)
    } finally {
      await context.close()
      await Promise.all([app.end(), root.end()])
    }
  })

  test('an operator’s Cancel says why the login may not signal, and the query runs on', async ({ browser }) => {
    const app = await sleeper(APP)
    const context = await browser.newContext({ baseURL: second.baseURL, storageState: storageStatePath('operator') })
    const page = await context.newPage()
    try {
      const activity = new ActivityPage(page)
      await activity.goto()
      await expect(activity.session(app.pid)).toContainText('pg_sleep', { timeout: 15_000 })
      const notice = await activity.cancel(app.pid)
      await expect(notice).toContainText(`may not signal ${APP}'s sessions: grant it pg_signal_backend`)
      const state = await asSuperuser('dor', async (c) => (await c.query('select state from pg_stat_activity where pid = $1', [app.pid])).rows[0]?.state)
      expect(state).toBe('active')
    } finally {
      await context.close()
      await app.end()
    }
  })
})
