import type { APIRequestContext, Browser, Page } from '@playwright/test'
import { apiChallenge, apiSecondFactor, apiSignIn } from './api-sign-in'
import { E2E, storageStatePath } from './e2e-env'
import { withStateDb } from './e2e-state-db'
import { expect, test } from './fixtures'
import { AccountPage, totpCode } from './pages/account-page'
import { LoginPage } from './pages/login-page'
import { Shell } from './pages/shell'
import { UsersPage } from './pages/users-page'
import { cookieHeader } from './raw-http'

/** A throwaway account of its own, created by the e2e admin. */
async function account(page: Page, email: string, role: 'admin' | 'operator' | 'viewer') {
  const password = `${email.split('@')[0]}-password-1`
  const res = await page.request.post('/api/users', { data: { email, role, password }, headers: { cookie: cookieHeader('admin') } })
  expect(res.status(), await res.text()).toBe(200)
  return { email, password }
}

async function freshPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ baseURL: E2E.baseURL, storageState: { cookies: [], origins: [] } })
  return context.newPage()
}

async function hasSession(page: Page): Promise<boolean> {
  return (await page.context().cookies()).some((c) => c.name === 'next-auth.session-token')
}

async function signOut(page: Page) {
  await new Shell(page).signOut()
  await expect(page).toHaveURL(/\/login/)
}

/** The audit page as the e2e admin sees it. */
async function auditRows(request: APIRequestContext, query: string) {
  const res = await request.get(`/audit?${query}`, { headers: { cookie: cookieHeader('admin') } })
  return res.text()
}

test.describe('two-factor sign-in', () => {
  test('a user enrols in the browser, then signs in with a code; wrong and reused codes and a spent recovery code are refused', async ({ browser, request }) => {
    const page = await freshPage(browser)
    const user = await account(page, 'twofa-viewer@e2e.local', 'viewer')
    const login = new LoginPage(page)
    await login.signInAndWait(user.email, user.password)
    const { secret, recoveryCodes } = await new AccountPage(page).enrol()
    expect(new Set(recoveryCodes).size).toBe(10)
    await signOut(page)

    // The password alone: the code is asked for, and no session exists meanwhile.
    await login.goto()
    await login.signIn(user.email, user.password)
    await expect(login.codeForm()).toBeVisible()
    expect(await hasSession(page)).toBe(false)
    const wrong = totpCode(secret) === '000000' ? '111111' : '000000'
    await login.enterCode(wrong)
    await expect(login.codeError()).toHaveText('That code is not right.')
    expect(await hasSession(page)).toBe(false)
    const code = totpCode(secret)
    await login.enterCode(code)
    await expect(page).toHaveURL(/\/overview/)
    await expect(new Shell(page).userMenu).toContainText(user.email)
    await signOut(page)

    // The same code again: spent.
    await login.signIn(user.email, user.password)
    await login.enterCode(code)
    await expect(login.codeError()).toHaveText('That code was already used. Wait for the next one.')
    // A recovery code works once.
    await login.enterCode(recoveryCodes[0])
    await expect(page).toHaveURL(/\/overview/)
    await signOut(page)
    await login.signIn(user.email, user.password)
    await login.enterCode(recoveryCodes[0])
    await expect(login.codeError()).toHaveText('That code is not right.')
    await page.context().close()

    const html = await auditRows(request, `q=${encodeURIComponent(user.email)}`)
    for (const text of ['auth.two_factor', 'auth.recovery_code', 'password accepted; waiting for the second factor', 'signed in with a recovery code; 9 left', 'auth.sign_out', '127.0.0.1']) {
      expect(html, text).toContain(text)
    }
    const refused = await auditRows(request, `action=auth.two_factor&result=failed&q=${encodeURIComponent(user.email)}`)
    expect(refused).toContain('That code is not right.')
    expect(refused).toContain('That code was already used. Wait for the next one.')
  })

  test('a brute force of codes is stopped: after 5 wrong codes even the right one waits', async ({ browser, playwright }) => {
    const page = await freshPage(browser)
    const user = await account(page, 'twofa-brute@e2e.local', 'operator')
    await new LoginPage(page).signInAndWait(user.email, user.password)
    const { secret } = await new AccountPage(page).enrol()
    await page.context().close()

    const api = await playwright.request.newContext({ baseURL: E2E.baseURL, storageState: { cookies: [], origins: [] } })
    const challenge = await apiChallenge(api, user.email, user.password)
    const wrong = (n: number) => String((Number(totpCode(secret)) + 1000 * (n + 1)) % 1_000_000).padStart(6, '0')
    for (let i = 0; i < 5; i++) expect(await apiSecondFactor(api, challenge, wrong(i))).toBe('That code is not right.')
    expect(await apiSecondFactor(api, challenge, totpCode(secret))).toBe('Too many wrong codes. Try again in 15 minutes.')
    // A new password step does not start the count again.
    const again = await apiChallenge(api, user.email, user.password)
    expect(await apiSecondFactor(api, again, totpCode(secret))).toBe('Too many wrong codes. Try again in 15 minutes.')
    // And the browser says the same.
    const browserPage = await freshPage(browser)
    const login = new LoginPage(browserPage)
    await login.goto()
    await login.signIn(user.email, user.password)
    await login.enterCode(totpCode(secret))
    await expect(login.codeError()).toHaveText('Too many wrong codes. Try again in 15 minutes.')
    expect(await hasSession(browserPage)).toBe(false)
    await browserPage.context().close()
    // A forged challenge gets nowhere either.
    expect(await apiSecondFactor(api, `${challenge}x`, totpCode(secret))).toBe('sign-in-again:This sign-in has expired. Enter your e-mail and password again.')
    expect(await apiSignIn(api, user.email, user.password)).toMatch(/^second-factor:/)
    await api.dispose()
  })

  test('admins require two-factor sign-in of every admin: one without it is sent to set it up first; an admin resets another user’s', async ({ browser, request, playwright }) => {
    const setup = await freshPage(browser)
    const boss = await account(setup, 'twofa-boss@e2e.local', 'admin')
    const bare = await account(setup, 'twofa-bare-admin@e2e.local', 'admin')
    const member = await account(setup, 'twofa-member@e2e.local', 'viewer')
    await setup.context().close()

    const bossPage = await freshPage(browser)
    await new LoginPage(bossPage).signInAndWait(boss.email, boss.password)
    const { secret } = await new AccountPage(bossPage).enrol()
    const memberPage = await freshPage(browser)
    await new LoginPage(memberPage).signInAndWait(member.email, member.password)
    await new AccountPage(memberPage).enrol()
    await memberPage.context().close()

    const bareContext = await browser.newContext({ baseURL: E2E.baseURL })
    try {
      const users = new UsersPage(bossPage)
      await users.goto()
      const rule = users.twoFactorRule
      await expect(rule).toContainText('optional')
      await users.requireTwoFactorForAdmins()
      await expect(rule).toContainText('required')
      await expect(rule).toContainText('without it now')

      // An admin without two-factor sign-in signs in with the password, and is sent to set it up.
      const barePage = await bareContext.newPage()
      const login = new LoginPage(barePage)
      await login.goto()
      await login.signIn(bare.email, bare.password)
      await expect(barePage).toHaveURL(/\/account\?setup=required/)
      await expect(new AccountPage(barePage).setupRequiredNotice()).toBeVisible()
      await barePage.goto('/overview')
      await expect(barePage).toHaveURL(/\/account\?setup=required/)
      await barePage.goto('/users')
      await expect(barePage).toHaveURL(/\/account\?setup=required/)
      // Nor may it change anything meanwhile.
      const cookie = (await bareContext.cookies()).map((c) => `${c.name}=${c.value}`).join('; ')
      const refused = await barePage.request.post('/api/users', { data: { email: 'by-bare@e2e.local', role: 'viewer', password: 'by-bare-password-1' }, headers: { cookie } })
      expect(refused.status()).toBe(403)
      expect(await refused.json()).toMatchObject({ code: 'two_factor_required' })
      // Once enrolled it goes on as usual.
      await new AccountPage(barePage).enrol()
      await barePage.goto('/overview')
      await expect(barePage).toHaveURL(/\/overview/)

      // The admin under the rule cannot turn its own off; it resets another user's.
      const bossAccount = new AccountPage(bossPage)
      await bossAccount.goto()
      await expect(bossAccount.keptNotice()).toBeVisible()
      await users.goto()
      await expect(users.twoFactorStatus(member.email)).toHaveText('on')
      await users.resetTwoFactor(member.email)
      // Reset and refreshed: the row says off, and offers no reset any more.
      await expect(users.twoFactorStatus(member.email)).toHaveText('off')
      await expect(users.resetTwoFactorButton(member.email)).toHaveCount(0)
      const api = await playwright.request.newContext({ baseURL: E2E.baseURL, storageState: { cookies: [], origins: [] } })
      expect(await apiSignIn(api, member.email, member.password)).toBeNull()
      await api.dispose()

      await users.makeTwoFactorOptional()
      await expect(rule).toContainText('optional')
    } finally {
      // Whatever happened: the rule off, and the e2e admin the only active admin again (users.spec).
      await withStateDb(async (db) => {
        await db.query(`delete from app_setting where key = 'auth.admin_two_factor_required'`)
        await db.query('update app_user set disabled_at = now() where email = any($1)', [[boss.email, bare.email]])
      })
      await bareContext.close()
      await bossPage.context().close()
    }
    const html = await auditRows(request, 'q=two_factor')
    for (const text of ['users.require_admin_two_factor', 'users.reset_two_factor', 'account.two_factor.enrol']) expect(html, text).toContain(text)
    expect(secret).toMatch(/^[A-Z2-7]{32}$/)
    // The refused change is audited, naming the admin that had to enrol first.
    const refusedHtml = await auditRows(request, `action=users.create&result=denied&actor=${encodeURIComponent(bare.email)}`)
    expect(refusedHtml).toContain('Admins must use two-factor sign-in: set it up on your account page first.')
  })
})

test.describe('the saved sessions still work', () => {
  test('the e2e admin was never asked for a code', async ({ browser }) => {
    const context = await browser.newContext({ storageState: storageStatePath('admin') })
    const page = await context.newPage()
    await page.goto('/overview')
    await expect(new Shell(page).userMenu).toContainText(E2E.users.admin.email)
    await context.close()
  })
})
