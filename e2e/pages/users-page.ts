import { expect, type Locator, type Page } from '@playwright/test'
import { DataTablePart } from './data-table'

/** /users: the create form and one row per user with its controls. */
export class UsersPage {
  readonly users: DataTablePart
  readonly createForm: Locator
  /** The rule that admins must use two-factor sign-in. */
  readonly twoFactorRule: Locator

  constructor(readonly page: Page) {
    this.users = new DataTablePart(page.getByTestId('users-table'))
    this.createForm = page.getByTestId('create-user')
    this.twoFactorRule = page.getByTestId('admin-two-factor')
  }

  async goto() {
    await this.page.goto('/users')
  }

  row(email: string): Locator {
    return this.users.row('email', email)
  }

  /** The Role column of a user's row. */
  role(email: string): Locator {
    return this.row(email).locator('td').nth(2)
  }

  /** What the create form answered. */
  createStatus(): Locator {
    return this.createForm.getByRole('status')
  }

  createPasswordField(): Locator {
    return this.createForm.getByLabel('Password (12+ characters)')
  }

  async fillCreate(email: string, role: string, password: string) {
    await this.createForm.getByLabel('E-mail').fill(email)
    await this.createForm.getByLabel('Role').selectOption(role)
    await this.createPasswordField().fill(password)
    await this.createForm.getByRole('button', { name: 'Create user' }).click()
  }

  async create(email: string, role: string, password: string) {
    await this.goto()
    await this.fillCreate(email, role, password)
    await expect(this.createStatus()).toHaveText(`Created ${email} as ${role}.`)
    await expect(this.row(email)).toBeVisible()
  }

  async changeRole(email: string, role: string): Promise<Locator> {
    await this.row(email).getByLabel(`Role of ${email}`).selectOption(role)
    await this.row(email).getByRole('button', { name: 'Change role' }).click()
    return this.row(email).getByTestId('change-role').getByRole('status')
  }

  /** Resets a password to a generated one and returns it. */
  async resetPassword(email: string): Promise<string> {
    await this.row(email).getByRole('button', { name: 'Reset password' }).click()
    return (await this.row(email).getByTestId('generated-password').textContent()) ?? ''
  }

  async disable(email: string): Promise<Locator> {
    this.page.once('dialog', (d) => void d.accept())
    await this.row(email).getByRole('button', { name: 'Disable' }).click()
    return this.row(email).getByTestId('set-disabled').getByRole('status')
  }

  async requireTwoFactorForAdmins() {
    await this.twoFactorRule.getByRole('button', { name: 'Require it for admins' }).click()
  }

  /** Turns the admins' rule off, accepting the confirmation. */
  async makeTwoFactorOptional() {
    this.page.once('dialog', (d) => void d.accept())
    await this.twoFactorRule.getByRole('button', { name: 'Make it optional' }).click()
  }

  twoFactorStatus(email: string): Locator {
    return this.row(email).getByTestId('two-factor-status')
  }

  resetTwoFactorButton(email: string): Locator {
    return this.row(email).getByRole('button', { name: 'Reset two-factor' })
  }

  /** Resets a user's two-factor sign-in, accepting the confirmation. */
  async resetTwoFactor(email: string) {
    this.page.once('dialog', (d) => void d.accept())
    await this.resetTwoFactorButton(email).click()
  }
}
