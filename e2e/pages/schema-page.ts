import { expect, type Locator, type Page } from '@playwright/test'
import { DataTablePart } from './data-table'

/** /schema: the filter form and the list of tables and views. */
export class SchemaPage {
  readonly relations: DataTablePart
  readonly count: Locator

  constructor(readonly page: Page) {
    this.relations = new DataTablePart(page.getByTestId('relations-table'))
    this.count = page.getByTestId('relations-count')
  }

  async goto(query = '') {
    await this.page.goto(`/schema${query}`)
  }

  /** Chooses the order the next filter keeps (rows, size, name). */
  async chooseSort(value: string) {
    await this.page.getByLabel('Sort by').selectOption(value)
  }

  /** Fills in the filter as a user does and waits for the filtered URL. */
  async filter(text: string) {
    await this.page.getByLabel('Filter schema, table or column names').fill(text)
    await this.page.getByRole('button', { name: 'Filter' }).click()
    await expect(this.page).toHaveURL(new RegExp(`[?&]q=${encodeURIComponent(text)}`))
  }

  link(name: string): Locator {
    return this.relations.root.getByRole('link', { name, exact: true })
  }

  rowOf(name: string): Locator {
    // A `has` locator is looked for inside each row: it must not start again from the table.
    return this.relations.rows().filter({ has: this.page.getByRole('link', { name, exact: true }) })
  }

  /** The columns a relation matched the filter by. */
  matchedColumns(name: string): Locator {
    return this.rowOf(name).getByTestId('matched-columns')
  }

  /** The header that sorts by a column (Name, ≈ Rows, Total size). */
  sortHeader(label: string | RegExp): Locator {
    return this.relations.root.getByRole('columnheader', { name: label })
  }

  /** Clicks a column header's sort link. */
  async sortBy(label: string | RegExp) {
    await this.sortHeader(label).getByRole('link').click()
  }

  /** The names in the list, in the order shown. */
  names(): Promise<string[]> {
    return this.relations.root.locator('tbody tr a.row-link').allTextContents()
  }
}
