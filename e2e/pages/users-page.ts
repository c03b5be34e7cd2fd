import { expect, type Locator, type Page } from '@playwright/test'
import { DataTablePart } from './data-table'

/** /users: the create form and one row per user with its controls. */
export class UsersPage {
  readonly users: DataTablePart
  readonly createForm: Locator

  constructor(readonly page: Page) {
    this.users = new DataTablePart(page.getByTestId('users-table'))
    this.createForm = page.getByTestId('create-user')
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

  async fillCreate(email: string, role: string, password: string) {
    await this.createForm.getByLabel('E-mail').fill(email)
    await this.createForm.getByLabel('Role').selectOption(role)
    await this.createForm.getByLabel('Password (12+ characters)').fill(password)
    await this.createForm.getByRole('button', { name: 'Create user' }).click()
  }

  async create(email: string, role: string, password: string) {
    await this.goto()
    await this.fillCreate(email, role, password)
    await expect(this.createForm.getByRole('status')).toHaveText(`Created ${email} as ${role}.`)
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
}
