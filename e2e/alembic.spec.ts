import pg from 'pg'
import { alembicTo, FIXTURE_DIR, fixtureSettings, PYTHON_ALEMBIC, REV } from '../test/alembic-fixture'
import { withDatabase } from '../lib/db/connect'
import { e2eDatabaseUrl } from './e2e-db'
import { storageStatePath } from './e2e-env'
import { expect, test } from './fixtures'
import { type SecondDashboard, startSecondDashboard } from './second-dashboard'

// A dashboard started on a database that the fixture Alembic project manages, beside the demo's.
const DATABASE = 'dor_alembic_e2e'
let second: SecondDashboard

async function admin<T>(work: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: e2eDatabaseUrl('postgres') })
  await c.connect()
  try {
    return await work(c)
  } finally {
    await c.end()
  }
}

test.describe('a database managed by Alembic', () => {
  test.describe.configure({ timeout: 180_000 })

  test.beforeAll(async () => {
    await admin(async (c) => {
      await c.query(`drop database if exists ${DATABASE} with (force)`)
      await c.query(`create database ${DATABASE}`)
    })
    const url = withDatabase(e2eDatabaseUrl('postgres'), DATABASE)
    await alembicTo(fixtureSettings(), url, REV.merge)
    second = await startSecondDashboard({
      targetUrl: url,
      env: { ALEMBIC_DIR: FIXTURE_DIR, ALEMBIC_COMMAND: JSON.stringify(PYTHON_ALEMBIC) },
    })
  })
  test.afterAll(async () => {
    if (process.env.E2E_DEBUG) console.log(second?.output())
    await second?.stop()
    await admin((c) => c.query(`drop database if exists ${DATABASE} with (force)`))
  })

  test('the admin sees the tool first, runs a dry run and an upgrade', async ({ browser }) => {
    const context = await browser.newContext({ baseURL: second.baseURL, storageState: storageStatePath('admin') })
    const page = await context.newPage()
    await page.goto('/migrations')
    const section = page.getByTestId('alembic-section')
    await expect(section.getByTestId('alembic-summary')).toHaveText(`Alembic at ${REV.merge}; one head in the files, 1 revision pending.`)
    await expect(page.getByTestId('managed-by')).toContainText(`Managed by Alembic (public.alembic_version): at ${REV.merge}, one head.`)
    // The tool comes before the DoR chain, whose rows are not pending work and cannot be applied.
    // boundingBox() does not wait: a section still streaming in (the banners above it are Suspense) has none yet.
    const box = async (id: string) => {
      await expect(page.getByTestId(id)).toBeVisible()
      return (await page.getByTestId(id).boundingBox())!.y
    }
    expect(await box('alembic-section')).toBeLessThan(await box('migrations-summary'))
    await expect(page.getByTestId('migrations-summary')).toContainText('DoR migrations, not adopted')
    await expect(page.getByTestId('apply-controls')).toHaveCount(0)
    await expect(page.getByTestId('migrations-table').getByTestId('migration-state').first()).toHaveText('not adopted')
    await expect(page.getByTestId('adoption-controls')).toBeVisible()

    await section.getByRole('button', { name: 'Dry run (SQL)' }).click()
    await expect(section.getByTestId('alembic-check-result')).toContainText(`Offline SQL of alembic upgrade ${REV.merge}:head: 2 statements; nothing was run.`)
    await expect(section.getByTestId('alembic-check-output')).toContainText("alter type userrole add value 'SECRETARY';")

    await section.getByRole('button', { name: 'Upgrade to head…' }).click()
    const dialog = page.getByRole('dialog', { name: 'Alembic upgrade to head' })
    await expect(dialog.getByRole('listitem')).toHaveText([REV.secretary])
    // The action only queues the job; the controls follow it through the jobs route and show how it ended.
    const followed = page.waitForRequest((r) => r.url().includes('/api/jobs?kind=alembic.upgrade'), { timeout: 30_000 })
    await dialog.getByRole('button', { name: 'Upgrade', exact: true }).click()
    await expect(dialog).toBeHidden()
    await followed
    await expect(section.getByTestId('run-result').getByRole('status')).toContainText(
      `Alembic upgrade: Alembic upgrade to head: 1 revision applied. The database is at ${REV.secretary} (read from alembic_version after the run).`,
    )
    await expect(section.getByTestId('alembic-job')).toHaveCount(0)
    await expect(section.getByTestId('alembic-summary')).toHaveText(`Alembic at ${REV.secretary}; one head in the files, up to date.`)
    const newest = page.getByTestId('run-history').locator('tbody tr').first()
    await expect(newest).toHaveAttribute('data-kind', 'alembic_upgrade')
    await expect(newest).toHaveAttribute('data-status', 'succeeded')
    await expect(newest.getByRole('link', { name: 'schema diff' })).toBeVisible()
    await context.close()
  })

  test('a viewer sees where the database is, and no button', async ({ browser }) => {
    const context = await browser.newContext({ baseURL: second.baseURL, storageState: storageStatePath('viewer') })
    const page = await context.newPage()
    await page.goto('/migrations')
    await expect(page.getByTestId('alembic-summary')).toContainText('Alembic at')
    await expect(page.getByTestId('alembic-section').getByRole('button')).toHaveCount(0)
    await expect(page.getByTestId('adoption-controls')).toHaveCount(0)
    await context.close()
  })
})
