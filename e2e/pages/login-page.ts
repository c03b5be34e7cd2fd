import { expect, type Page } from '@playwright/test'

export class LoginPage {
  constructor(private readonly page: Page) {}

  async goto() {
    await this.page.goto('/login')
  }

  async signIn(email: string, password: string) {
    await this.page.getByLabel('E-mail').fill(email)
    await this.page.getByLabel('Password').fill(password)
    // Wait for the server's answer: an earlier error message would otherwise satisfy the next check.
    await Promise.all([
      this.page.waitForResponse((r) => r.url().includes('/api/auth/callback/credentials')),
      this.page.getByRole('button', { name: 'Sign in' }).click(),
    ])
    // The form action's end resets the form (React 19): wait for it, or it may clear the next attempt's
    // e-mail after it was typed. A successful sign-in navigates away instead; an account with
    // two-factor sign-in is asked for its code.
    await expect(
      this.page.getByRole('button', { name: 'Sign in' }).or(this.page.getByTestId('user-menu')).or(this.page.getByRole('button', { name: 'Verify' })),
    ).toBeVisible()
    await expect(this.page.getByRole('button', { name: 'Signing in…' })).toHaveCount(0)
  }

  /** The second step: a code from the authenticator app or a recovery code. */
  async enterCode(code: string) {
    const form = this.codeForm()
    await form.getByLabel('Code').fill(code)
    await Promise.all([
      this.page.waitForResponse((r) => r.url().includes('/api/auth/callback/two-factor')),
      form.getByRole('button', { name: 'Verify' }).click(),
    ])
    await expect(this.page.getByRole('button', { name: 'Verify' }).or(this.page.getByTestId('user-menu')).or(this.page.getByRole('button', { name: 'Sign in' }))).toBeVisible()
    await expect(this.page.getByRole('button', { name: 'Checking…' })).toHaveCount(0)
  }

  async signInAndWait(email: string, password: string) {
    await this.goto()
    await this.signIn(email, password)
    await expect(this.page).toHaveURL(/\/overview/)
    await expect(this.page.getByTestId('user-menu')).toContainText(email)
  }

  /** Said on the sign-in page when the session was ended (disabled, signed out elsewhere). */
  sessionEnded() {
    return this.page.getByText('Your session has ended. Sign in again.')
  }

  error() {
    return this.page.getByRole('form', { name: 'Sign in' }).getByRole('alert')
  }

  codeForm() {
    return this.page.getByRole('form', { name: 'Two-factor code' })
  }

  codeError() {
    return this.codeForm().getByRole('alert')
  }
}
