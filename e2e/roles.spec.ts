import { asRole, expect, test } from './fixtures'
import { AuditPage } from './pages/audit-page'
import { OverviewPage } from './pages/overview-page'
import { Shell } from './pages/shell'
import { UsersPage } from './pages/users-page'

const newUser = (who: string) => ({ email: `made-by-${who}@e2e.local`, role: 'admin', password: 'sneaky-password-123' })

test.describe('viewer', () => {
  asRole('viewer')

  test('sees read pages and no admin controls', async ({ page }) => {
    const overview = new OverviewPage(page)
    const shell = new Shell(page)
    await overview.goto()
    await expect(overview.serverCards).toBeVisible()
    await expect(overview.dorTables).toContainText('agenda_item')
    await expect(shell.navLink('Overview')).toBeVisible()
    await expect(shell.navLink('Users')).toHaveCount(0)
    await expect(shell.navLink('Audit log')).toHaveCount(0)
    await page.goto('/users')
    await expect(page).toHaveURL(/\/overview\?denied=1/)
    await expect(shell.deniedNotice).toBeVisible()
    await page.goto('/audit')
    await expect(page).toHaveURL(/\/overview\?denied=1/)
  })

  test('is refused by the server when posting the admin action directly', async ({ page }) => {
    const res = await page.request.post('/api/users', { data: newUser('viewer') })
    expect(res.status()).toBe(403)
    expect(await res.json()).toMatchObject({ ok: false, code: 'forbidden' })
  })
})

test.describe('operator', () => {
  asRole('operator')

  test('sees no user management and is refused by the server', async ({ page }) => {
    await new OverviewPage(page).goto()
    await expect(new Shell(page).navLink('Users')).toHaveCount(0)
    const res = await page.request.post('/api/users', { data: newUser('operator') })
    expect(res.status()).toBe(403)
  })
})

test.describe('admin', () => {
  asRole('admin')

  test('nothing was created by the refused posts, and each refusal is audited', async ({ page }) => {
    const users = new UsersPage(page)
    await users.goto()
    await expect(users.users.root).toBeVisible()
    await expect(users.row('made-by-viewer@e2e.local')).toHaveCount(0)
    await expect(users.row('made-by-operator@e2e.local')).toHaveCount(0)
    const audit = new AuditPage(page)
    await audit.goto({ action: 'users.create', result: 'denied' })
    const table = audit.entries.root
    await expect(table).toContainText('viewer@e2e.local')
    await expect(table).toContainText('operator@e2e.local')
    await expect(table).toContainText('may not do this')
  })

  test('unauthenticated posts are refused too', async ({ playwright }) => {
    // Explicitly empty: request contexts made inside a test inherit the describe's signed-in state.
    const anonymous = await playwright.request.newContext({ storageState: { cookies: [], origins: [] } })
    const res = await anonymous.post('/api/users', { data: newUser('anonymous') })
    expect(res.status()).toBe(401)
    await anonymous.dispose()
  })
})
