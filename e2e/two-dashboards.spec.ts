import type { Browser, Page } from '@playwright/test'
import type { Role } from '../lib/auth/permissions'
import { createDb } from '../lib/db/connect'
import { lockTable } from '../test/lock-table'
import { e2eDatabaseUrl } from './e2e-db'
import { E2E, storageStatePath } from './e2e-env'
import { expect, test } from './fixtures'
import { IntegrityPage } from './pages/integrity-page'
import { JobsPage } from './pages/jobs-page'
import { LoginPage } from './pages/login-page'
import { Shell } from './pages/shell'
import { type SecondDashboard, startSecondDashboard } from './second-dashboard'

// Two web servers on the same target and state database, as behind a load balancer: either serves
// a session made on the other, and their jobs and schedules are one.
let second: SecondDashboard

interface JobJson {
  id: number
  state: string
  trigger: string
  attempts: number
  createdAt: string
}

async function pageOn(browser: Browser, baseURL: string, role: Role): Promise<Page> {
  const context = await browser.newContext({ baseURL, storageState: storageStatePath(role) })
  return context.newPage()
}

async function saveSchedule(page: Page, cron: string, on: boolean) {
  const jobs = new JobsPage(page)
  await jobs.goto()
  // On a fast machine the fields can be filled before React hydrates the form, which then puts back
  // the saved values and the default is saved: fill again until the save says what was asked.
  await expect(async () => {
    await jobs.saveSchedule('audit.prune', { cron, timeZone: 'UTC', on })
    await expect(jobs.scheduleStatus('audit.prune')).toHaveText(on ? `Audit prune now runs on "${cron}" (UTC).` : 'Audit prune no longer runs on a schedule.', { timeout: 3_000 })
  }).toPass({ timeout: 30_000 })
}

async function scheduledPrunes(page: Page): Promise<JobJson[]> {
  const res = await page.request.get('/api/jobs?kind=audit.prune')
  expect(res.status()).toBe(200)
  return ((await res.json()) as { jobs: JobJson[] }).jobs.filter((j) => j.trigger === 'schedule')
}

test.describe('two dashboards on one state database', () => {
  test.describe.configure({ timeout: 180_000 })

  test.beforeAll(async () => {
    // Its own scheduler and workers, as the first server has them (JOBS_WORKER defaults to 1), and
    // the first server's configuration (no health sampler filling the Jobs page every minute).
    second = await startSecondDashboard({ targetUrl: e2eDatabaseUrl('dor'), env: { METRICS_SCHEDULE_CRON: 'off' } })
  })
  test.afterAll(async () => {
    if (process.env.E2E_DEBUG) console.log(second?.output())
    await second?.stop()
  })

  test('a sign-in on one server is a session on the other', async ({ browser }) => {
    const context = await browser.newContext({ baseURL: second.baseURL })
    const page = await context.newPage()
    await new LoginPage(page).signInAndWait(E2E.users.viewer.email, E2E.users.viewer.password)
    // Cookies belong to the host, not the port: the same browser now asks the first server.
    await page.goto(`${E2E.baseURL}/jobs`)
    await expect(page).toHaveURL(`${E2E.baseURL}/jobs`)
    const shell = new Shell(page)
    await expect(shell.userMenu).toContainText(E2E.users.viewer.email)
    await expect(shell.heading('Jobs')).toBeVisible()
    await context.close()
  })

  test('a run started on one shows live, with progress, on the other’s Jobs page and is cancelled there', async ({ browser }) => {
    const [first, other] = [await pageOn(browser, E2E.baseURL, 'operator'), await pageOn(browser, second.baseURL, 'operator')]
    const jobs = new JobsPage(other)
    await jobs.goto()
    // The run waits on this lock inside its checks, so that it is still running when cancelled.
    const locker = createDb(e2eDatabaseUrl('dor'), { max: 1 })
    const lock = await lockTable(locker, 'agenda_item')
    let jobId = 0
    try {
      const integrity = new IntegrityPage(first)
      await integrity.goto()
      const runId = await integrity.requestRun()

      // No reload on the other server: its table polls GET /api/jobs.
      const row = jobs.jobOfRun(runId)
      await expect(jobs.state(row)).toHaveText('running', { timeout: 30_000 })
      await expect(row).toContainText(E2E.users.operator.email)
      await expect(jobs.progress(row)).toContainText(/\d+\/\d+/, { timeout: 20_000 })
      jobId = Number(await row.getAttribute('data-job'))

      other.once('dialog', (d) => void d.accept())
      await jobs.cancelButton(jobId).click()
      await expect(jobs.rowStatus(row)).toHaveText(`Job #${jobId} stops at its next safe point; what it did so far stays done.`)
    } finally {
      await lock.release()
      await locker.destroy()
    }
    const row = jobs.job(jobId)
    await expect(jobs.state(row)).toHaveText('cancelled', { timeout: 30_000 })
    // The first server's page says the same.
    const mine = new JobsPage(first)
    await mine.goto({ kind: 'integrity.run' })
    await expect(mine.state(mine.job(jobId))).toHaveText('cancelled')
    await first.context().close()
    await other.context().close()
  })

  test('a schedule fires once, though both servers watch it', async ({ browser }) => {
    const [first, other] = [await pageOn(browser, E2E.baseURL, 'admin'), await pageOn(browser, second.baseURL, 'admin')]
    const before = new Set((await scheduledPrunes(other)).map((j) => j.id))
    const fresh = async () => (await scheduledPrunes(other)).filter((j) => !before.has(j.id))
    // Every minute: each server's cron monitor looks every 30 s, so both see it due within the minute.
    await saveSchedule(first, '* * * * *', true)
    try {
      await expect.poll(async () => (await fresh()).length, { timeout: 90_000, intervals: [1000] }).toBeGreaterThan(0)
      // Both servers' monitors look again (each every 30 s) while it is still due.
      await other.waitForTimeout(40_000)
    } finally {
      await saveSchedule(other, '* * * * *', false)
    }
    // A firing already sent before the schedule went off still gets its job: wait for all to end.
    await other.waitForTimeout(5_000)
    await expect.poll(async () => (await fresh()).filter((j) => j.state === 'queued' || j.state === 'running').length, { timeout: 30_000 }).toBe(0)
    const fired = (await fresh()).sort((a, b) => a.id - b.id)
    expect(fired.length).toBeGreaterThan(0)
    for (const j of fired) expect(j).toMatchObject({ state: 'succeeded', attempts: 1 })
    // Once a minute means firings at least a cron monitor's interval apart, never two for one minute.
    const at = fired.map((j) => Date.parse(j.createdAt))
    for (let i = 1; i < at.length; i++) expect(at[i] - at[i - 1], `jobs ${fired[i - 1].id} and ${fired[i].id}`).toBeGreaterThan(20_000)
    await first.context().close()
    await other.context().close()
  })
})
