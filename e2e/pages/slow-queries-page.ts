import type { Locator, Page } from '@playwright/test'
import { DataTablePart } from './data-table'

/** /slow-queries: the statements table, its filter, and EXPLAIN under each statement. */
export class SlowQueriesPage {
  readonly statements: DataTablePart
  /** The history panel of one statement, opened from its row. */
  readonly history: Locator
  readonly historyChart: Locator

  constructor(readonly page: Page) {
    this.statements = new DataTablePart(page.getByTestId('slow-queries'))
    this.history = page.getByTestId('query-history')
    this.historyChart = this.history.getByTestId('query-history-chart')
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

  /** Runs EXPLAIN in an opened form. */
  async explain(form: Locator) {
    await form.getByRole('button', { name: 'EXPLAIN', exact: true }).click()
  }

  planNodes(form: Locator): Locator {
    return form.getByTestId('plan-node')
  }

  /** The plan node marked as the costliest. */
  costliestNode(form: Locator): Locator {
    return form.locator('[data-costliest="true"]')
  }

  /** The EXPLAIN ANALYZE choice (operators only: it runs the statement). */
  analyzeOption(form: Locator): Locator {
    return form.getByText(/ANALYZE \(runs it/)
  }

  async openHistory(row: Locator) {
    await row.getByRole('link', { name: 'History' }).click()
  }

  /** The drawn lines of the history chart. */
  historyLines(): Locator {
    return this.history.locator('.recharts-line')
  }

  /** A row of the this-period-against-the-one-before table, by its label ("Calls", "Mean time"). */
  comparison(label: string): Locator {
    return this.history.getByTestId('query-history-compare').getByRole('row', { name: new RegExp(`^${label}`) })
  }

  /** Chooses the history's period ("24h", "7d"). */
  async historyPeriod(period: string) {
    await this.history.getByRole('link', { name: period }).click()
  }

  async closeHistory() {
    await this.history.getByRole('link', { name: 'Close' }).click()
  }
}
