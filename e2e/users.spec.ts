import { E2E } from './e2e-env'
import { asRole, expect, test } from './fixtures'
import { AuditPage } from './pages/audit-page'
import { LoginPage } from './pages/login-page'
import { Shell } from './pages/shell'
import { UsersPage } from './pages/users-page'

test.describe('users page', () => {
  asRole('admin')

  test('admin creates a user, changes the role and resets the password', async ({ page, browser }) => {
    const email = 'carol@e2e.local'
    const users = new UsersPage(page)
    await users.create(email, 'viewer', 'carol-first-password')
    await expect(users.row(email)).toContainText('viewer')

    await expect(await users.changeRole(email, 'operator')).toHaveText(`${email} is now operator.`)
    await expect(users.role(email)).toHaveText('operator')

    const generated = await users.resetPassword(email)
    expect(generated).toMatch(/^[A-Za-z0-9]{20}$/)

    const context = await browser.newContext({ storageState: { cookies: [], origins: [] } })
    const other = await context.newPage()
    await new LoginPage(other).signInAndWait(email, generated)
    await expect(new Shell(other).userRole).toHaveText('operator')
    await context.close()
  })

  test('bad input is refused with a clear message and changes nothing', async ({ page }) => {
    const users = new UsersPage(page)
    await users.goto()
    // Past the browser's own check, to the server's.
    await users.createPasswordField().evaluate((el: HTMLInputElement) => el.removeAttribute('minlength'))
    await users.fillCreate('shorty@e2e.local', 'viewer', 'short')
    await expect(users.createStatus()).toHaveText('password: must be at least 12 characters')
    await expect(users.row('shorty@e2e.local')).toHaveCount(0)
  })

  test('a disabled user is signed out on their next request', async ({ page, browser }) => {
    const email = 'dave@e2e.local'
    const users = new UsersPage(page)
    await users.create(email, 'viewer', 'dave-password-1234')

    const context = await browser.newContext({ storageState: { cookies: [], origins: [] } })
    const dave = await context.newPage()
    await new LoginPage(dave).signInAndWait(email, 'dave-password-1234')

    await expect(await users.disable(email)).toHaveText(`${email} is disabled and signed out.`)

    await dave.reload()
    await expect(dave).toHaveURL(/\/login\?ended=1/)
    await expect(new LoginPage(dave).sessionEnded()).toBeVisible()
    await context.close()
  })

  test('the last admin cannot be demoted', async ({ page }) => {
    const users = new UsersPage(page)
    await users.goto()
    await expect(await users.changeRole(E2E.users.admin.email, 'viewer')).toHaveText('This is the last active admin: make another admin first.')
    await expect(users.role(E2E.users.admin.email)).toHaveText('admin')
  })
})

test.describe('audit page', () => {
  asRole('admin')

  test('shows login attempts and filters by result', async ({ page }) => {
    const audit = new AuditPage(page)
    await audit.goto({ action: 'auth.login', result: 'failed' })
    await expect(audit.entries.root).toContainText('auth.login')
    await expect(audit.entries.first()).toContainText('failed')
    await expect(audit.entries.root).not.toContainText('signed in')
  })
})
