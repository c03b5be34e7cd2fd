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
  readonly managedBy: Locator
  readonly applyControls: Locator
  readonly adoptionControls: Locator
  readonly checksHeading: Locator
  /** The checks' buttons that run something (the SQL blocks' copy buttons left out). */
  readonly checkRunButtons: Locator
  readonly otherTools: Locator
  readonly actionsHeader: Locator
  readonly leftoversHeading: Locator
  readonly orphanedSession: Locator

  constructor(readonly page: Page) {
    this.migrations = new DataTablePart(page.getByTestId('migrations-table'))
    this.history = new DataTablePart(page.getByTestId('run-history'))
    this.summary = page.getByTestId('migrations-summary')
    this.checks = page.getByTestId('migration-checks')
    this.runResult = page.getByTestId('run-result')
    this.leftovers = page.getByTestId('leftovers')
    this.managedBy = page.getByTestId('managed-by')
    this.applyControls = page.getByTestId('apply-controls')
    this.adoptionControls = page.getByTestId('adoption-controls')
    this.checksHeading = this.checks.getByRole('heading', { name: 'Checks' })
    this.checkRunButtons = this.checks.getByRole('button').filter({ hasNotText: 'Copy' })
    this.otherTools = page.getByTestId('other-tools')
    this.actionsHeader = this.migrations.root.getByRole('columnheader', { name: 'Actions' })
    this.leftoversHeading = this.leftovers.getByRole('heading', { name: 'Left behind on the server' })
    this.orphanedSession = this.leftovers.getByTestId('orphaned-session')
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

  /** Every migration's state cell, in the table's order. */
  states(): Locator {
    return this.migrations.root.getByTestId('migration-state')
  }

  appliedBy(name: string): Locator {
    return this.row(name).getByTestId('applied-by')
  }

  /** How far down the page a part starts, once it is shown (a part still streaming in has no box yet). */
  async top(part: Locator): Promise<number> {
    await expect(part).toBeVisible()
    return (await part.boundingBox())!.y
  }

  /** The link from a run in the history to the schema diff it made. */
  schemaDiffLink(run: Locator): Locator {
    return run.getByRole('link', { name: 'schema diff' })
  }

  newestRun(): Locator {
    return this.history.first()
  }

  /** Any button of the page with this name (for the ones a role must not be offered). */
  button(name: string): Locator {
    return this.page.getByRole('button', { name })
  }

  /** A scratch database a check left behind, by its name. */
  scratchDatabase(name: string): Locator {
    return this.leftovers.getByTestId('scratch-databases').locator(`tr[data-name="${name}"]`)
  }

  /** What a check's result says. */
  checkStatus(result: Locator): Locator {
    return result.getByRole('status')
  }

  /** The SQL a dry run ran and rolled back. */
  dryRunSql(result: Locator): Locator {
    return result.getByTestId('dry-run-sql')
  }

  /** The schema differences a drift check found. */
  schemaDiff(result: Locator): Locator {
    return result.getByTestId('schema-diff')
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
