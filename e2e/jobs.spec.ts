import { createDb } from '../lib/db/connect'
import { lockTable } from '../test/lock-table'
import { runDbadmin } from '../test/run-command'
import { e2eDatabaseUrl } from './e2e-db'
import { asRole, expect, test } from './fixtures'
import { JobsPage } from './pages/jobs-page'
import { Shell } from './pages/shell'

// The CLI queues on the server's own databases; the server's worker runs what it queues.
const cliEnv = () => ({ DATABASE_URL: e2eDatabaseUrl('dor'), STATE_DATABASE_URL: e2eDatabaseUrl('dbadmin_state') })
let cliJob = 0

test.describe('jobs as operator', () => {
  asRole('operator')

  test('a run queued by the CLI shows up live, running; Cancel stops it at its next check', async ({ page }) => {
    test.setTimeout(120_000)
    const jobs = new JobsPage(page)
    await jobs.goto()
    await expect(new Shell(page).heading('Jobs')).toBeVisible()
    // The run waits inside its first checks on this lock, so that it is still running when cancelled.
    const locker = createDb(e2eDatabaseUrl('dor'), { max: 1 })
    const lock = await lockTable(locker, 'agenda_item')
    try {
      const queued = await runDbadmin(['integrity', '--no-wait', '--json'], cliEnv())
      expect(queued.stderr).toBe('')
      cliJob = (JSON.parse(queued.stdout) as { job: { id: number } }).job.id
      // No reload: the table polls GET /api/jobs.
      const row = jobs.job(cliJob)
      await expect(jobs.state(row)).toHaveText('running', { timeout: 20_000 })
      await expect(row).toContainText('Integrity run')
      await expect(row).toContainText('cli')
      await expect(jobs.runLink(row)).toBeVisible()

      page.once('dialog', (d) => void d.accept())
      await jobs.cancelButton(cliJob).click()
      await expect(jobs.rowStatus(row)).toHaveText(`Job #${cliJob} stops at its next safe point; what it did so far stays done.`)
      await expect(jobs.state(row)).toHaveText('stopping')
    } finally {
      await lock.release()
      await locker.destroy()
    }
    const row = jobs.job(cliJob)
    await expect(jobs.state(row)).toHaveText('cancelled', { timeout: 30_000 })
    await expect(row).toContainText(/Integrity run #\d+ stopped after \d+ of \d+ checks/)
    await expect(jobs.cancelButton(cliJob)).toHaveCount(0)
  })
})

test.describe('jobs as viewer', () => {
  asRole('viewer')

  test('reads every job and the schedules, filters by kind and state, and cancels nothing', async ({ page }) => {
    const jobs = new JobsPage(page)
    await jobs.goto()
    await expect(jobs.jobs.rows().first()).toBeVisible()
    await expect(jobs.cancelButtons()).toHaveCount(0)
    // The e2e server runs without a schedule (INTEGRITY_SCHEDULE_HOURS=0); only admins may change it.
    await expect(jobs.schedules.rowWith('Integrity run')).toContainText('off')
    await expect(jobs.saveScheduleButtons()).toHaveCount(0)

    await jobs.filter('Integrity run', 'cancelled')
    await expect(page).toHaveURL(/kind=integrity\.run/)
    await expect(page).toHaveURL(/state=cancelled/)
    if (cliJob) await expect(jobs.job(cliJob)).toBeVisible()
    const states = await jobs.jobs.rows().evaluateAll((rows) => rows.map((r) => r.getAttribute('data-state')))
    expect(states.length).toBeGreaterThan(0)
    expect(new Set(states)).toEqual(new Set(['cancelled']))

    // The route the table polls: the live widgets' readRoute, a clear error for a bad filter.
    const listed = await page.request.get('/api/jobs?kind=integrity.run')
    expect(listed.status()).toBe(200)
    const body = (await listed.json()) as { jobs: { kind: string; canCancel: boolean }[] }
    expect(body.jobs.length).toBeGreaterThan(0)
    expect(body.jobs.every((j) => j.kind === 'integrity.run' && !j.canCancel)).toBe(true)
    const bad = await page.request.get('/api/jobs?state=done')
    expect(bad.status()).toBe(400)
    expect(await bad.json()).toMatchObject({ ok: false, code: 'invalid_input', message: expect.stringContaining('state: must be one of queued, running') })
  })
})
