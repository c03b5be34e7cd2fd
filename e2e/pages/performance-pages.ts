import type { Locator, Page } from '@playwright/test'
import { DataTablePart } from './data-table'

/** /activity: live sessions, the blocking tree, Cancel and Terminate per session. */
export class ActivityPage {
  readonly sessions: DataTablePart
  readonly blockingTree: Locator

  constructor(readonly page: Page) {
    this.sessions = new DataTablePart(page.getByTestId('sessions'))
    this.blockingTree = page.getByTestId('blocking-tree')
  }

  async goto() {
    await this.page.goto('/activity')
  }

  session(pid: number): Locator {
    return this.sessions.row('pid', pid)
  }

  cancelButton(pid: number): Locator {
    return this.session(pid).getByRole('button', { name: `Cancel the query of session ${pid}` })
  }

  terminateButton(pid: number): Locator {
    return this.session(pid).getByRole('button', { name: `Terminate session ${pid}` })
  }

  /** Clicks Cancel, accepts the confirmation, and returns the page's notice of the result. */
  async cancel(pid: number): Promise<Locator> {
    this.page.once('dialog', (d) => void d.accept())
    await this.cancelButton(pid).click()
    return this.page.getByTestId('activity-notice')
  }

  blockingNode(pid: number): Locator {
    return this.blockingTree.locator(`[data-testid="blocking-node"][data-pid="${pid}"]`)
  }
}

/** /slow-queries: the statements table, its filter, and EXPLAIN under each statement. */
export class SlowQueriesPage {
  readonly statements: DataTablePart

  constructor(readonly page: Page) {
    this.statements = new DataTablePart(page.getByTestId('slow-queries'))
  }

  async goto(query = '') {
    await this.page.goto(`/slow-queries${query}`)
  }

  async filter(text: string) {
    await this.page.getByLabel('Text contains').fill(text)
    await this.page.getByRole('button', { name: 'Filter' }).click()
  }

  /** Opens EXPLAIN under the first statement containing `text`. */
  async openExplain(text: string): Promise<Locator> {
    const row = this.statements.rowWith(text).first()
    await row.locator('summary', { hasText: 'EXPLAIN' }).click()
    return row.getByTestId('explain-form')
  }
}

/** /indexes and /tables: findings, the maintenance jobs widget and the Run buttons. */
export class MaintenancePages {
  readonly jobs: DataTablePart

  constructor(readonly page: Page) {
    this.jobs = new DataTablePart(page.getByTestId('maintenance-jobs'))
  }

  finding(kind: string, index: string): Locator {
    return this.page.locator(`[data-testid="index-finding"][data-kind="${kind}"][data-index="${index}"]`)
  }

  tableRow(qualified: string): Locator {
    return new DataTablePart(this.page.getByTestId('tables')).row('table', qualified)
  }

  /** Clicks a Run button inside `scope`, accepting the confirmation. */
  async run(scope: Locator, name: string | RegExp) {
    this.page.once('dialog', (d) => void d.accept())
    await scope.getByRole('button', { name, exact: true }).click()
  }
}
