import type { Page } from '@playwright/test'
import { E2E } from './e2e-env'
import { asRole, expect, test } from './fixtures'
import { LoginPage } from './pages/login-page'

function row(page: Page, email: string) {
  return page.getByTestId('users-table').locator(`tr[data-email="${email}"]`)
}

async function createUser(page: Page, email: string, role: string, password: string) {
  await page.goto('/users')
  const form = page.getByTestId('create-user')
  await form.getByLabel('E-mail').fill(email)
  await form.getByLabel('Role').selectOption(role)
  await form.getByLabel('Password (12+ characters)').fill(password)
  await form.getByRole('button', { name: 'Create user' }).click()
  await expect(form.getByRole('status')).toHaveText(`Created ${email} as ${role}.`)
  await expect(row(page, email)).toBeVisible()
}

test.describe('users page', () => {
  asRole('admin')

  test('admin creates a user, changes the role and resets the password', async ({ page, browser }) => {
    const email = 'carol@e2e.local'
    await createUser(page, email, 'viewer', 'carol-first-password')
    await expect(row(page, email)).toContainText('viewer')

    await row(page, email).getByLabel(`Role of ${email}`).selectOption('operator')
    await row(page, email).getByRole('button', { name: 'Change role' }).click()
    await expect(row(page, email).getByTestId('change-role').getByRole('status')).toHaveText(`${email} is now operator.`)
    await expect(row(page, email).locator('td').nth(2)).toHaveText('operator')

    await row(page, email).getByRole('button', { name: 'Reset password' }).click()
    const generated = await row(page, email).getByTestId('generated-password').textContent()
    expect(generated).toMatch(/^[A-Za-z0-9]{20}$/)

    const context = await browser.newContext({ storageState: { cookies: [], origins: [] } })
    const other = await context.newPage()
    await new LoginPage(other).signInAndWait(email, generated!)
    await expect(other.getByTestId('user-role')).toHaveText('operator')
    await context.close()
  })

  test('bad input is refused with a clear message and changes nothing', async ({ page }) => {
    await page.goto('/users')
    const form = page.getByTestId('create-user')
    await form.getByLabel('E-mail').fill('shorty@e2e.local')
    await form.getByLabel('Password (12+ characters)').evaluate((el: HTMLInputElement) => el.removeAttribute('minlength'))
    await form.getByLabel('Password (12+ characters)').fill('short')
    await form.getByRole('button', { name: 'Create user' }).click()
    await expect(form.getByRole('status')).toHaveText('password: must be at least 12 characters')
    await expect(row(page, 'shorty@e2e.local')).toHaveCount(0)
  })

  test('a disabled user is signed out on their next request', async ({ page, browser }) => {
    const email = 'dave@e2e.local'
    await createUser(page, email, 'viewer', 'dave-password-1234')

    const context = await browser.newContext({ storageState: { cookies: [], origins: [] } })
    const dave = await context.newPage()
    await new LoginPage(dave).signInAndWait(email, 'dave-password-1234')

    page.once('dialog', (d) => d.accept())
    await row(page, email).getByRole('button', { name: 'Disable' }).click()
    await expect(row(page, email).getByTestId('set-disabled').getByRole('status')).toHaveText(
      `${email} is disabled and signed out.`,
    )

    await dave.reload()
    await expect(dave).toHaveURL(/\/login\?ended=1/)
    await expect(dave.getByText('Your session has ended. Sign in again.')).toBeVisible()
    await context.close()
  })

  test('the last admin cannot be demoted', async ({ page }) => {
    await page.goto('/users')
    const me = row(page, E2E.users.admin.email)
    await me.getByLabel(`Role of ${E2E.users.admin.email}`).selectOption('viewer')
    await me.getByRole('button', { name: 'Change role' }).click()
    await expect(me.getByTestId('change-role').getByRole('status')).toHaveText(
      'This is the last active admin: make another admin first.',
    )
    await expect(me.locator('td').nth(2)).toHaveText('admin')
  })
})

test.describe('audit page', () => {
  asRole('admin')

  test('shows login attempts and filters by result', async ({ page }) => {
    await page.goto('/audit?action=auth.login&result=failed')
    const table = page.getByTestId('audit-table')
    await expect(table).toContainText('auth.login')
    await expect(table.locator('tbody tr').first()).toContainText('failed')
    await expect(table).not.toContainText('signed in')
  })
})
