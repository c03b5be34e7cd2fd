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

  /** The header that sorts by a column (Name, ≈ Rows, Total size). */
  sortHeader(label: string | RegExp): Locator {
    return this.relations.root.getByRole('columnheader', { name: label })
  }

  /** The names in the list, in the order shown. */
  names(): Promise<string[]> {
    return this.relations.root.locator('tbody tr a.row-link').allTextContents()
  }
}

/** /schema/table?…: one table's columns, keys, indexes, DDL and data preview. */
export class TablePage {
  readonly title: Locator
  readonly columns: DataTablePart
  readonly diagram: Locator
  readonly ddl: Locator
  readonly preview: DataTablePart
  readonly revealed: DataTablePart

  constructor(readonly page: Page) {
    this.title = page.getByTestId('table-title')
    this.columns = new DataTablePart(page.getByTestId('columns-table'))
    this.diagram = page.getByTestId('relationship-diagram')
    this.ddl = page.getByTestId('ddl')
    this.preview = new DataTablePart(page.getByTestId('preview-table'))
    this.revealed = new DataTablePart(page.getByTestId('preview-table-revealed'))
  }

  goto(schema: string, name: string) {
    return this.page.goto(`/schema/table?${new URLSearchParams({ schema, name })}`)
  }

  /** The column names as listed (the Name column's monospace part, without its badges). */
  columnNames(): Locator {
    return this.columns.root.locator('tbody tr td:nth-child(2) > .mono')
  }

  /** A preview column's header and its cells, by the column's name. */
  async previewColumn(table: DataTablePart, column: string): Promise<{ header: Locator; cells: Locator }> {
    const header = table.root.locator(`th[data-column="${column}"]`)
    const index = await table.root.locator('thead th').evaluateAll((ths, c) => ths.findIndex((th) => th.getAttribute('data-column') === c), column)
    return { header, cells: table.column(index + 1) }
  }
}
