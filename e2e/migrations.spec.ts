import pg from 'pg'
import { scratchPrefix } from '../lib/migrations/scratch-database'
import { e2eDatabaseUrl } from './e2e-db'
import { E2E, storageStatePath } from './e2e-env'
import { asRole, expect, test } from './fixtures'
import { MigrationsPage } from './pages/migrations-page'
import { SchemaDiffPage } from './pages/schema-diff-page'
import { Shell } from './pages/shell'

// The newest DoR migration: the demo leaves it pending for users to apply.
const PENDING = '20240520_100000_add_meeting_location_and_agenda_user_index'

test.describe('migrations page as admin', () => {
  asRole('admin')

  // Later spec files share this server: leave the demo as it was, even when the test failed half-way.
  test.afterAll(async ({ browser }) => {
    const context = await browser.newContext({ baseURL: E2E.baseURL, storageState: storageStatePath('admin') })
    const migrations = new MigrationsPage(await context.newPage())
    await migrations.goto()
    if ((await migrations.row(PENDING).getAttribute('data-state')) === 'applied') await migrations.rollBack(PENDING)
    await context.close()
  })

  test('applies the pending migration, links the schema diff, and rolls it back by its exact name', async ({ page }) => {
    const migrations = new MigrationsPage(page)
    await migrations.goto()
    await expect(new Shell(page).navLink('Migrations')).toBeVisible()
    await expect(migrations.state(PENDING)).toHaveText('pending')
    await expect(migrations.summary).toContainText('1 pending')

    await migrations.applyNext(PENDING)
    await expect(migrations.state(PENDING)).toHaveText('applied')
    await expect(migrations.appliedBy(PENDING)).toHaveText(E2E.users.admin.email)
    await expect(migrations.summary).toContainText('0 pending')

    const applyRun = migrations.newestRun()
    await expect(applyRun).toHaveAttribute('data-kind', 'apply')
    await expect(applyRun).toHaveAttribute('data-status', 'succeeded')
    await expect(applyRun).toContainText(PENDING)
    await expect(applyRun).toContainText(E2E.users.admin.email)
    const diffLink = migrations.schemaDiffLink(applyRun)
    await expect(diffLink).toHaveAttribute('href', /^\/schema\/snapshots\?from=\d+&to=\d+$/)

    await diffLink.click()
    await expect(page).toHaveURL(/\/schema\/snapshots\?from=\d+&to=\d+$/)
    const diff = new SchemaDiffPage(page)
    await expect(diff.change('public.meeting', 'location')).toHaveCount(1)
    await expect(diff.change('agenda_item_user_id_idx').first()).toBeVisible()
    await expect(diff.diff).toContainText('added')

    await migrations.goto()
    await migrations.rollBack(PENDING)
    await expect(migrations.state(PENDING)).toHaveText('pending')
    await expect(migrations.appliedBy(PENDING)).toHaveText('–')
    const rollbackRun = migrations.newestRun()
    await expect(rollbackRun).toHaveAttribute('data-kind', 'rollback')
    await expect(rollbackRun).toHaveAttribute('data-status', 'succeeded')
    await expect(rollbackRun).toContainText(PENDING)
    await expect(migrations.history.rows().nth(1)).toHaveAttribute('data-kind', 'apply')
  })
})

for (const role of ['operator', 'viewer'] as const) {
  test.describe(`migrations page as ${role}`, () => {
    asRole(role)

    // Refusal by the server for every role is proven by lib/auth/actions-are-wrapped.test.ts, which
    // runs each server action as each role; here: what the page offers.
    test('sees the migrations and their history, but no apply, rollback or acknowledge controls', async ({ page }) => {
      const migrations = new MigrationsPage(page)
      await migrations.goto()
      await expect(new Shell(page).heading('Migrations')).toBeVisible()
      await expect(migrations.state(PENDING)).toHaveText('pending')
      await expect(migrations.state('20240115_093000_create_users')).toHaveText('applied')
      // The admin's runs above, which every role may read.
      await expect(migrations.history.root).toContainText(E2E.users.admin.email)
      await expect(migrations.applyControls).toHaveCount(0)
      for (const name of ['Apply next', 'Apply all pending', 'Apply up to…', 'Roll back…', 'Acknowledge edit']) {
        await expect(migrations.button(name)).toHaveCount(0)
      }
      await expect(migrations.actionsHeader).toHaveCount(0)
    })
  })
}

test.describe('migration checks', () => {
  test.describe('as operator', () => {
    asRole('operator')

    test('dry-runs the pending migration and finds the demo drift, changing nothing', async ({ page }) => {
      const migrations = new MigrationsPage(page)
      await migrations.goto()
      await expect(migrations.checksHeading).toBeVisible()

      const dry = await migrations.runCheck('Dry run pending', 'dry_run')
      await expect(migrations.checkStatus(dry).first()).toContainText(`Dry run of ${PENDING} succeeded; everything was rolled back.`)
      await expect(dry).toContainText('Nothing was changed')
      await expect(migrations.dryRunSql(dry)).toContainText('alter table "meeting" add column "location"')
      await expect(migrations.state(PENDING)).toHaveText('pending')
      const dryRun = migrations.newestRun()
      await expect(dryRun).toHaveAttribute('data-kind', 'dry_run')
      await expect(dryRun).toContainText(E2E.users.operator.email)

      const drift = await migrations.runCheck('Check drift', 'drift')
      await expect(migrations.checkStatus(drift)).toContainText('differences between the applied migrations and the live schema', {
        timeout: 30_000,
      })
      await expect(migrations.schemaDiff(drift)).toContainText('meeting_attendee')
      await expect(migrations.schemaDiff(drift)).toContainText('meeting_title_idx')
      // The dry run's result stays where it was.
      await expect(migrations.dryRunSql(dry)).toBeVisible()
      await expect(migrations.newestRun()).toHaveAttribute('data-kind', 'drift')
    })
  })

  test.describe('as viewer', () => {
    asRole('viewer')

    test('sees the checks and the other tools, without buttons', async ({ page }) => {
      const migrations = new MigrationsPage(page)
      await migrations.goto()
      await expect(migrations.checksHeading).toBeVisible()
      // Only the copy buttons of the SQL shown, none that runs a check.
      await expect(migrations.checkRunButtons).toHaveCount(0)
      for (const name of ['Dry run pending', 'Test rollbacks', 'Check drift', 'Replay from empty']) {
        await expect(migrations.button(name)).toHaveCount(0)
      }
      await expect(migrations.otherTools).toContainText("No other tool's migration table")
      // The operator's checks above, in the history every role reads.
      await expect(migrations.history.row('kind', 'drift').first()).toContainText('2 differences')
    })
  })
})

test.describe('what killed processes left behind on the server', () => {
  asRole('operator')

  test('shows a killed run\'s session still running and a killed check\'s scratch database, dropped before the next check', async ({ page }) => {
    const url = e2eDatabaseUrl('dor')
    const leftover = `${scratchPrefix(url)}rehearsal_0badc0de`
    const admin = new pg.Client({ connectionString: url })
    // A session named as a migration run's, whose run (and lock holder) is gone.
    const orphan = new pg.Client({ connectionString: url, application_name: 'dbadmin migrate: cli #0badc0de' })
    await Promise.all([admin.connect(), orphan.connect()])
    try {
      await admin.query(`create database ${admin.escapeIdentifier(leftover)}`)
      const orphanPid = (await orphan.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0].pid
      const sleeping = orphan.query('select pg_sleep(120)').catch(() => null)

      const migrations = new MigrationsPage(page)
      await migrations.goto()
      await expect(migrations.leftoversHeading).toBeVisible()
      const session = migrations.orphanedSession
      await expect(session).toHaveAttribute('data-pid', String(orphanPid))
      await expect(session).toContainText(`pid ${orphanPid}, left by a migration run of cli that died, is still active`)
      await expect(session).toContainText(`select pg_sleep(120). End it with select pg_cancel_backend(${orphanPid})`)
      const row = migrations.scratchDatabase(leftover)
      await expect(row).toContainText('left by a check that died')
      await expect(row).toHaveAttribute('data-in-use', 'false')

      await admin.query('select pg_cancel_backend($1)', [orphanPid])
      await sleeping
      const rehearsal = await migrations.runCheck('Test rollbacks', 'rehearsal')
      await expect(migrations.checkStatus(rehearsal)).toContainText('Rehearsed 1 migration', { timeout: 30_000 })
      await page.reload()
      await expect(migrations.checks).toBeVisible()
      await expect(migrations.leftovers).toHaveCount(0)
      const { rows } = await admin.query('select 1 from pg_database where datname = $1', [leftover])
      expect(rows).toEqual([])
    } finally {
      await admin.query(`drop database if exists ${admin.escapeIdentifier(leftover)}`).catch(() => {})
      await Promise.all([admin.end(), orphan.end().catch(() => {})])
    }
  })
})
