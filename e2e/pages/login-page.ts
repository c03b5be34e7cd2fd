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
    // e-mail after it was typed. A successful sign-in navigates away instead.
    await expect(this.page.getByRole('button', { name: 'Sign in' }).or(this.page.getByTestId('user-menu'))).toBeVisible()
    await expect(this.page.getByRole('button', { name: 'Signing in…' })).toHaveCount(0)
  }

  async signInAndWait(email: string, password: string) {
    await this.goto()
    await this.signIn(email, password)
    await expect(this.page).toHaveURL(/\/overview/)
    await expect(this.page.getByTestId('user-menu')).toContainText(email)
  }

  error() {
    return this.page.getByRole('form', { name: 'Sign in' }).getByRole('alert')
  }
}
