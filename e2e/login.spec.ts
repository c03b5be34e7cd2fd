import { expect, test } from '@playwright/test'
import { E2E } from './e2e-env'
import { LoginPage } from './pages/login-page'

test.describe('login', () => {
  test('a wrong password gets one generic message and no session', async ({ page }) => {
    const login = new LoginPage(page)
    await login.goto()
    await login.signIn(E2E.users.admin.email, 'not-the-password')
    await expect(login.error()).toHaveText('Wrong e-mail or password.')
    await page.goto('/overview')
    await expect(page).toHaveURL(/\/login/)
  })

  test('an unknown account gets the same message', async ({ page }) => {
    const login = new LoginPage(page)
    await login.goto()
    await login.signIn('nobody@e2e.local', 'whatever-password')
    await expect(login.error()).toHaveText('Wrong e-mail or password.')
  })

  for (const role of ['admin', 'operator', 'viewer'] as const) {
    test(`${role} signs in, sees the managed database and signs out`, async ({ page }) => {
      const login = new LoginPage(page)
      await login.signInAndWait(E2E.users[role].email, E2E.users[role].password)
      await expect(page.getByTestId('user-role')).toHaveText(role)
      await expect(page.getByTestId('target-identity')).toContainText('dor')
      await expect(page.getByTestId('target-identity')).toContainText('PostgreSQL 15')
      await expect(page.getByTestId('target-identity')).toContainText('embedded demo')
      const session = (await page.context().cookies()).find((c) => c.name === 'next-auth.session-token')
      expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: false })
      await page.getByRole('button', { name: 'Sign out' }).click()
      await expect(page).toHaveURL(/\/login/)
      await page.goto('/overview')
      await expect(page).toHaveURL(/\/login/)
    })
  }

  test('repeated failures lock the account with a clear wait time', async ({ page, request }) => {
    // A throwaway account, so that the lock does not get in the way of other specs.
    const email = 'locked@e2e.local'
    const admin = await request.post('/api/users', {
      data: { email, role: 'viewer', password: 'locked-account-password' },
      headers: { cookie: await adminCookie(page) },
    })
    expect(admin.status()).toBe(200)
    const login = new LoginPage(page)
    await page.context().clearCookies()
    await login.goto()
    for (let i = 0; i < 5; i++) {
      await login.signIn(email, 'wrong-password-' + i)
      await expect(login.error()).toHaveText('Wrong e-mail or password.')
    }
    await login.signIn(email, 'locked-account-password')
    await expect(login.error()).toHaveText(/Too many failed logins\. Try again in 1[45] minutes\./)
  })
})

async function adminCookie(page: import('@playwright/test').Page): Promise<string> {
  await new LoginPage(page).signInAndWait(E2E.users.admin.email, E2E.users.admin.password)
  const cookies = await page.context().cookies()
  return cookies.map((c) => `${c.name}=${c.value}`).join('; ')
}
