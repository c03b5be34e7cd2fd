import AxeBuilder from '@axe-core/playwright'
import { CompiledQuery, type Kysely } from 'kysely'
import { createDb } from '../lib/db/connect'
import { e2eDatabaseUrl } from './e2e-db'
import { asRole, expect, test } from './fixtures'
import { OverviewPage } from './pages/overview-page'
import { SecurityPage } from './pages/security-page'
import { Shell } from './pages/shell'

const SUPER = 'e2e app; superuser'
const MD5 = 'e2e md5 ü'
const SCHEMA = 'ünïcode schema'
const TABLE = 'Order; DROP TABLE x;--'
const qi = (s: string) => `"${s.replace(/"/g, '""')}"`

async function run(db: Kysely<any>, text: string) {
  await db.executeQuery(CompiledQuery.raw(text))
}

/** The problems the page must find, made on the demo as no page can. */
async function seed() {
  const db = createDb(e2eDatabaseUrl('dor'), { max: 1 })
  try {
    await run(db, `create role ${qi(SUPER)} login superuser password 'e2e-super-password-1'`)
    await db.connection().execute(async (c) => {
      await run(c, `set password_encryption = 'md5'`)
      await run(c, `create role ${qi(MD5)} login password 'e2e-md5-password-1'`)
    })
    await run(db, `create schema ${qi(SCHEMA)}`)
    await run(db, `grant create on schema ${qi(SCHEMA)} to public`)
    await run(db, `create table ${qi(SCHEMA)}.${qi(TABLE)} (id integer)`)
    await run(db, `grant select on ${qi(SCHEMA)}.${qi(TABLE)} to ${qi(MD5)}`)
    await run(db, `create policy "own rows" on ${qi(SCHEMA)}.${qi(TABLE)} using (id = 1)`)
    await run(db, `create function ${qi(SCHEMA)}."definer ü"() returns integer language sql security definer as 'select 1'`)
  } finally {
    await db.destroy()
  }
}

async function unseed() {
  const db = createDb(e2eDatabaseUrl('dor'), { max: 1 })
  try {
    await run(db, `drop schema if exists ${qi(SCHEMA)} cascade`)
    for (const r of [SUPER, MD5]) await run(db, `drop role if exists ${qi(r)}`)
  } finally {
    await db.destroy()
  }
}

test.describe('the Security page as admin', () => {
  asRole('admin')
  test.beforeAll(seed)
  test.afterAll(unseed)

  test('lists the seeded problems with their fix SQL, and odd names as they are', async ({ page, context }) => {
    const security = new SecurityPage(page)
    await new OverviewPage(page).goto()
    await new Shell(page).navLink('Security').click()
    await expect(security.heading).toBeVisible()
    await expect(security.finding('superuser_login', SUPER)).toContainText(`Role "${SUPER}" can log in as a superuser`)
    await expect(security.finding('md5_password', MD5)).toContainText('has an MD5 password')
    await expect(security.finding('definer_without_search_path', `${SCHEMA}.definer ü()`)).toContainText('critical')
    await expect(security.finding('rls_policies_disabled', `${SCHEMA}.${TABLE}`)).toContainText(`Table "${SCHEMA}"."${TABLE}"`)
    const publicCreate = security.finding('public_create_schema', SCHEMA)
    await expect(security.fixSql(publicCreate)).toHaveText(`REVOKE CREATE ON SCHEMA "${SCHEMA}" FROM PUBLIC;`)

    await context.grantPermissions(['clipboard-read', 'clipboard-write'])
    await security.copyFix(publicCreate)
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`REVOKE CREATE ON SCHEMA "${SCHEMA}" FROM PUBLIC;`)

    await expect(security.roles.row('role', MD5)).toContainText('MD5')
    await expect(security.roles.row('role', SUPER)).toContainText('superuser')
    await expect(security.definers.row('function', `${SCHEMA}.definer ü()`)).toContainText('caller’s (not fixed)')
    await expect(security.rls.row('table', `${SCHEMA}.${TABLE}`)).toContainText('disabled')
    await expect(security.hba).toContainText('scram-sha-256')
    await expect(security.connections.rows().first()).toBeVisible()
  })

  test('the grid is chosen by schema on the server', async ({ page }) => {
    const security = new SecurityPage(page)
    await security.goto()
    await security.gridSchema.selectOption(SCHEMA)
    await security.gridShow.click()
    await expect(page).toHaveURL(/schema=%C3%BCn%C3%AFcode\+schema/)
    await expect(security.gridSummary).toHaveText('1–1 of 1 objects')
    const row = security.grid.row('object', `${SCHEMA}.${TABLE}`)
    await expect(row).toBeVisible()
    await expect(security.granteeColumn(MD5)).toBeVisible()
    await expect(security.privilege(row, 'SELECT')).toHaveText('r')
  })

  test('generates the least-privilege script with its settings', async ({ page }) => {
    const security = new SecurityPage(page)
    await security.goto()
    await security.generate.click()
    await expect(security.setupScript).toContainText('CREATE ROLE "dbadmin_monitoring"')
    await expect(security.setupEnvironment).toContainText("MONITOR_DATABASE_URL='postgres://dbadmin_monitor:")
    // Only the action's answer carries the URLs with their passwords: the page itself names none.
    const html = await (await page.request.get('/security')).text()
    expect(html).not.toMatch(/postgres(ql)?:\/\//)
  })

  test('has no serious or critical accessibility violation, light and dark', async ({ page }) => {
    test.setTimeout(90_000)
    await new SecurityPage(page).goto()
    await page.waitForLoadState('networkidle')
    const found: string[] = []
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme })
      const axe = new AxeBuilder({ page })
      if (scheme === 'dark') axe.withRules(['color-contrast', 'link-in-text-block'])
      const { violations } = await axe.analyze()
      found.push(
        ...violations
          .filter((v) => v.impact === 'serious' || v.impact === 'critical')
          .map((v) => `${scheme}: ${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`),
      )
    }
    expect(found).toEqual([])
  })
})

for (const role of ['viewer', 'operator'] as const) {
  test.describe(`the Security page as ${role}`, () => {
    asRole(role)

    test('is not in the menu, and opening it is refused', async ({ page }) => {
      const shell = new Shell(page)
      await new OverviewPage(page).goto()
      await expect(shell.navLink('Security')).toHaveCount(0)
      await new SecurityPage(page).goto()
      await expect(page).toHaveURL(/\/overview\?denied=1/)
      await expect(shell.deniedNotice).toBeVisible()
    })
  })
}
