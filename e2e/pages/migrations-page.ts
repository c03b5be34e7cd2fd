import { expect, type Locator, type Page } from '@playwright/test'
import { DataTablePart } from './data-table'

/** /migrations: the migrations, the apply and rollback controls, the checks and the history. */
export class MigrationsPage {
  readonly migrations: DataTablePart
  readonly history: DataTablePart
  readonly summary: Locator
  readonly checks: Locator
  readonly runResult: Locator
  readonly leftovers: Locator

  constructor(readonly page: Page) {
    this.migrations = new DataTablePart(page.getByTestId('migrations-table'))
    this.history = new DataTablePart(page.getByTestId('run-history'))
    this.summary = page.getByTestId('migrations-summary')
    this.checks = page.getByTestId('migration-checks')
    this.runResult = page.getByTestId('run-result')
    this.leftovers = page.getByTestId('leftovers')
  }

  async goto() {
    await this.page.goto('/migrations')
  }

  row(name: string): Locator {
    return this.migrations.row('migration', name)
  }

  state(name: string): Locator {
    return this.row(name).getByTestId('migration-state')
  }

  appliedBy(name: string): Locator {
    return this.row(name).getByTestId('applied-by')
  }

  newestRun(): Locator {
    return this.history.first()
  }

  /** A check's button, and where its result appears. */
  async runCheck(button: string, kind: string): Promise<Locator> {
    await this.checks.getByRole('button', { name: button }).click()
    return this.page.getByTestId(`check-result-${kind}`)
  }

  /** Applies the next pending migration through its dialog. */
  async applyNext(expected: string) {
    await this.page.getByRole('button', { name: 'Apply next' }).click()
    const dialog = this.page.getByRole('dialog', { name: 'Apply next' })
    await expect(dialog).toBeVisible()
    await expect(dialog.getByTestId('apply-plan').getByRole('listitem')).toHaveText([expected])
    // The embedded demo: no backup unless asked for.
    await expect(dialog.getByLabel('Take a backup first')).not.toBeChecked()
    await dialog.getByRole('button', { name: 'Apply 1 migration' }).click()
    await expect(this.runResult.getByRole('status')).toContainText(`Applied ${expected}.`)
    await expect(dialog).toBeHidden()
  }

  /** Rolls `name` back through the page: its exact name typed in the confirmation, near misses refused. */
  async rollBack(name: string) {
    await this.row(name).getByRole('button', { name: 'Roll back…' }).click()
    const dialog = this.page.getByRole('dialog', { name: `Roll back ${name}` })
    await expect(dialog).toBeVisible()
    const submit = dialog.getByRole('button', { name: 'Roll back', exact: true })
    const confirmName = dialog.getByLabel("Type the migration's name to confirm")
    await expect(submit).toBeDisabled()
    await confirmName.fill(name.slice(0, -1))
    await expect(submit).toBeDisabled()
    await confirmName.fill(name.toUpperCase())
    await expect(submit).toBeDisabled()
    await confirmName.fill(name)
    await expect(submit).toBeEnabled()
    await submit.click()
    await expect(this.runResult.getByRole('status')).toContainText(`Rolled back ${name}.`)
    await expect(dialog).toBeHidden()
  }
}
