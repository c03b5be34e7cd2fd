import pg from 'pg'
import { e2eDatabaseUrl } from './e2e-db'
import { storageStatePath } from './e2e-env'
import { expect, test } from './fixtures'
import { ActivityPage } from './pages/performance-pages'
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

const PAGES = [
  { path: '/activity', heading: 'Activity', testId: 'sessions' },
  { path: '/slow-queries', heading: 'Slow queries', testId: 'slow-queries' },
  { path: '/indexes', heading: 'Indexes', testId: 'indexes' },
  { path: '/tables', heading: 'Tables', testId: 'tables' },
  { path: '/connections', heading: 'Connections', testId: 'dashboard-pools' },
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
    try {
      for (const p of PAGES) {
        await page.goto(p.path)
        await expect(page.getByRole('heading', { name: p.heading, level: 1 })).toBeVisible()
        await expect(page.getByTestId(p.testId)).toBeVisible()
        await expect(page.getByText('This page could not be shown')).toHaveCount(0)
        await expect(page.getByText('could not be read', { exact: false })).toHaveCount(0)
      }
      // pg_monitor reads every session's query, the application's and the superuser's.
      const activity = new ActivityPage(page)
      await activity.goto()
      await expect(activity.session(app.pid)).toContainText('pg_sleep', { timeout: 15_000 })
      await expect(activity.session(root.pid)).toContainText('pg_sleep')
      await expect(page.getByText('<insufficient privilege>')).toHaveCount(0)
      await expect(page.getByText(`Cancel and Terminate cannot work with this login: ${MONITOR} is not a member of pg_signal_backend`)).toBeVisible()
      // Statement texts of other roles, with no banner about hidden texts.
      await page.goto('/slow-queries')
      await expect(page.getByTestId('slow-queries')).not.toContainText('<insufficient privilege>')
      await expect(page.getByText('are hidden from')).toHaveCount(0)
      // The demo's tables belong to postgres: their column statistics, and so bloat, are not for pg_monitor.
      await page.goto('/tables')
      await expect(page.getByTestId('tables')).toContainText('public.agenda_item')
      await expect(page.getByTestId('cache-hit').locator('[data-part="tables"]')).toContainText(/\d+\.\d %/)
      await expect(page.getByText(/^Bloat is not estimated for \d+ tables? this role may not read: pg_stats hides their statistics/)).toBeVisible()
      // Index usage and the demo's unused index are catalogue facts pg_monitor reads.
      await page.goto('/indexes')
      await expect(page.getByTestId('indexes')).toContainText('meeting_title_idx')
      await page.goto('/connections')
      await expect(page.getByTestId('dashboard-pools')).toContainText('target')
      await expect(page.getByText('grant it pg_monitor')).toHaveCount(0)
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
