import { expect, type Locator, type Page } from '@playwright/test'

/** The Alembic section of /migrations, on a database an Alembic project manages: where it is, dry run, upgrade. */
export class AlembicSection {
  readonly root: Locator
  readonly summary: Locator
  readonly checkResult: Locator
  readonly checkOutput: Locator
  readonly runStatus: Locator
  readonly job: Locator
  readonly buttons: Locator
  readonly upgradeDialog: Locator

  constructor(readonly page: Page) {
    this.root = page.getByTestId('alembic-section')
    this.summary = page.getByTestId('alembic-summary')
    this.checkResult = this.root.getByTestId('alembic-check-result')
    this.checkOutput = this.root.getByTestId('alembic-check-output')
    this.runStatus = this.root.getByTestId('run-result').getByRole('status')
    this.job = this.root.getByTestId('alembic-job')
    this.buttons = this.root.getByRole('button')
    this.upgradeDialog = page.getByRole('dialog', { name: 'Alembic upgrade to head' })
  }

  /** Asks for the offline SQL of the pending revisions. */
  async dryRun() {
    await this.root.getByRole('button', { name: 'Dry run (SQL)' }).click()
  }

  /** Opens the upgrade dialog; the revisions it lists, in order. */
  async openUpgrade(): Promise<Locator> {
    await this.root.getByRole('button', { name: 'Upgrade to head…' }).click()
    return this.upgradeDialog.getByRole('listitem')
  }

  /** Confirms the open upgrade dialog and waits for it to close. */
  async confirmUpgrade() {
    await this.upgradeDialog.getByRole('button', { name: 'Upgrade', exact: true }).click()
    await expect(this.upgradeDialog).toBeHidden()
  }
}
