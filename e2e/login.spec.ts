import { expect, test } from '@playwright/test'
import { E2E } from './e2e-env'
import { LoginPage } from './pages/login-page'
import { Shell } from './pages/shell'
import { withStateDb } from './e2e-state-db'
import { cookieHeader, viaAddress } from './raw-http'

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
    test(`${role} signs in, sees the managed database and signs out, which ends the session itself`, async ({ page, browser, request }) => {
      // An account of its own: signing out ends every session of the account, the saved ones included.
      const email = `signs-out-${role}@e2e.local`
      const password = `signs-out-${role}-password`
      const created = await request.post('/api/users', { data: { email, role, password }, headers: { cookie: cookieHeader('admin') } })
      expect(created.status()).toBe(200)

      const login = new LoginPage(page)
      await login.signInAndWait(email, password)
      const shell = new Shell(page)
      await expect(shell.userRole).toHaveText(role)
      await expect(shell.targetIdentity).toContainText('dor')
      await expect(shell.targetIdentity).toContainText('PostgreSQL 15')
      await expect(shell.targetIdentity).toContainText('embedded demo')
      const session = (await page.context().cookies()).find((c) => c.name === 'next-auth.session-token')
      expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: false })
      await shell.signOut()
      await expect(page).toHaveURL(/\/login/)
      await page.goto('/overview')
      await expect(page).toHaveURL(/\/login/)

      // The cookie as it was before signing out, replayed elsewhere: the token itself has ended.
      const copy = await browser.newContext({ baseURL: E2E.baseURL, storageState: { cookies: [session!], origins: [] } })
      const replay = await copy.newPage()
      await replay.goto('/overview')
      await expect(replay).toHaveURL(/\/login\?ended=1/)
      await copy.close()
      // users.spec needs the e2e admin to be the only active one.
      if (role === 'admin') await withStateDb((db) => db.query('update app_user set disabled_at = now() where email = $1', [email]))
    })
  }

  test('repeated failures slow the account down for the failing address; the owner still signs in from another', async ({ page, browser, request }) => {
    // A throwaway account, so that the slow-down does not get in the way of other specs.
    const email = 'slowed@e2e.local'
    const password = 'slowed-account-password'
    const created = await request.post('/api/users', { data: { email, role: 'viewer', password }, headers: { cookie: cookieHeader('admin') } })
    expect(created.status()).toBe(200)

    // The attacker's browser reaches the dashboard from 127.0.0.5.
    const from = await viaAddress('127.0.0.5')
    const attacker = await browser.newContext({ baseURL: from.baseURL })
    try {
      const attackerLogin = new LoginPage(await attacker.newPage())
      await attackerLogin.goto()
      for (let i = 0; i < 5; i++) {
        await attackerLogin.signIn(email, 'wrong-password-' + i)
        await expect(attackerLogin.error()).toHaveText('Wrong e-mail or password.')
      }
      // Even the right password waits there, and the page says how long.
      await attackerLogin.signIn(email, password)
      await expect(attackerLogin.error()).toHaveText(/^Too many failed logins\. Try again in 1[0-5] seconds\.$/)
    } finally {
      await attacker.close()
      await from.close()
    }

    // The owner, from an address that has not failed (127.0.0.1), is not locked out.
    await new LoginPage(page).signInAndWait(email, password)
  })

  for (const callbackUrl of ['/%5Cevil.example/x', '/%09/evil.example/y', '//evil.example/z', 'https://evil.example/w']) {
    test(`after signing in, callbackUrl=${callbackUrl} stays on the dashboard`, async ({ page }) => {
      await page.goto(`/login?callbackUrl=${callbackUrl}`)
      await new LoginPage(page).signIn(E2E.users.admin.email, E2E.users.admin.password)
      await expect(new Shell(page).userMenu).toContainText(E2E.users.admin.email)
      expect(new URL(page.url()).origin).toBe(E2E.baseURL)
      await expect(page).toHaveURL(/\/overview$/)
    })
  }

  test('a callbackUrl on the dashboard is where signing in leads', async ({ page }) => {
    await page.goto('/login?callbackUrl=%2Fschema%3Fq%3Duser')
    await new LoginPage(page).signIn(E2E.users.admin.email, E2E.users.admin.password)
    await expect(page).toHaveURL(`${E2E.baseURL}/schema?q=user`)
  })
})
