import pg from 'pg'
import { alembicTo, FIXTURE_DIR, fixtureSettings, PYTHON_ALEMBIC, REV } from '../test/alembic-fixture'
import { withDatabase } from '../lib/db/connect'
import { e2eDatabaseUrl } from './e2e-db'
import { storageStatePath } from './e2e-env'
import { expect, test } from './fixtures'
import { AlembicSection } from './pages/alembic-section'
import { MigrationsPage } from './pages/migrations-page'
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
    const migrations = new MigrationsPage(page)
    const alembic = new AlembicSection(page)
    await migrations.goto()
    await expect(alembic.summary).toHaveText(`Alembic at ${REV.merge}; one head in the files, 1 revision pending.`)
    await expect(migrations.managedBy).toContainText(`Managed by Alembic (public.alembic_version): at ${REV.merge}, one head.`)
    // The tool comes before the DoR chain, whose rows are not pending work and cannot be applied.
    expect(await migrations.top(alembic.root)).toBeLessThan(await migrations.top(migrations.summary))
    await expect(migrations.summary).toContainText('DoR migrations, not adopted')
    await expect(migrations.applyControls).toHaveCount(0)
    await expect(migrations.states().first()).toHaveText('not adopted')
    await expect(migrations.adoptionControls).toBeVisible()

    await alembic.dryRun()
    await expect(alembic.checkResult).toContainText(`Offline SQL of alembic upgrade ${REV.merge}:head: 2 statements; nothing was run.`)
    await expect(alembic.checkOutput).toContainText("alter type userrole add value 'SECRETARY';")

    await expect(await alembic.openUpgrade()).toHaveText([REV.secretary])
    // The action only queues the job; the controls follow it through the jobs route and show how it ended.
    const followed = page.waitForRequest((r) => r.url().includes('/api/jobs?kind=alembic.upgrade'), { timeout: 30_000 })
    await alembic.confirmUpgrade()
    await followed
    await expect(alembic.runStatus).toContainText(
      `Alembic upgrade: Alembic upgrade to head: 1 revision applied. The database is at ${REV.secretary} (read from alembic_version after the run).`,
    )
    await expect(alembic.job).toHaveCount(0)
    await expect(alembic.summary).toHaveText(`Alembic at ${REV.secretary}; one head in the files, up to date.`)
    const newest = migrations.newestRun()
    await expect(newest).toHaveAttribute('data-kind', 'alembic_upgrade')
    await expect(newest).toHaveAttribute('data-status', 'succeeded')
    await expect(migrations.schemaDiffLink(newest)).toBeVisible()
    await context.close()
  })

  test('a viewer sees where the database is, and no button', async ({ browser }) => {
    const context = await browser.newContext({ baseURL: second.baseURL, storageState: storageStatePath('viewer') })
    const page = await context.newPage()
    const migrations = new MigrationsPage(page)
    const alembic = new AlembicSection(page)
    await migrations.goto()
    await expect(alembic.summary).toContainText('Alembic at')
    await expect(alembic.buttons).toHaveCount(0)
    await expect(migrations.adoptionControls).toHaveCount(0)
    await context.close()
  })
})
