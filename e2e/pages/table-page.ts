import type { Locator, Page } from '@playwright/test'
import { DataTablePart } from './data-table'

/** /schema/table?…: one table's columns, keys, indexes, DDL and data preview. */
export class TablePage {
  readonly title: Locator
  readonly columns: DataTablePart
  readonly diagram: Locator
  readonly ddl: Locator
  readonly preview: DataTablePart
  readonly revealed: DataTablePart
  readonly revealButton: Locator
  /** The reveal control by its test id, in case its accessible name ever changed. */
  readonly revealControl: Locator
  readonly revealNotice: Locator
  readonly notFound: Locator
  readonly backToSchema: Locator

  constructor(readonly page: Page) {
    this.title = page.getByTestId('table-title')
    this.columns = new DataTablePart(page.getByTestId('columns-table'))
    this.diagram = page.getByTestId('relationship-diagram')
    this.ddl = page.getByTestId('ddl')
    this.preview = new DataTablePart(page.getByTestId('preview-table'))
    this.revealed = new DataTablePart(page.getByTestId('preview-table-revealed'))
    this.revealButton = page.getByRole('button', { name: 'Reveal masked values' })
    this.revealControl = page.getByTestId('reveal-button')
    this.revealNotice = page.getByRole('status').filter({ hasText: 'Values revealed' })
    this.notFound = page.getByTestId('table-not-found')
    this.backToSchema = page.getByRole('link', { name: 'Back to the schema' })
  }

  goto(schema: string, name: string) {
    return this.page.goto(`/schema/table?${new URLSearchParams({ schema, name })}`)
  }

  /** Shows the masked values in full (admins; recorded in the audit log). */
  async reveal() {
    await this.revealButton.click()
  }

  async hideValues() {
    await this.page.getByRole('button', { name: 'Hide values' }).click()
  }

  /** The link from a column to its type on the types page. */
  typeLink(type: string): Locator {
    return this.columns.root.getByRole('link', { name: type })
  }

  diagramDrawing(): Locator {
    return this.diagram.locator('svg')
  }

  /** The diagram's links to another table's page. */
  diagramLinksTo(schema: string, name: string): Locator {
    return this.diagram.locator(`a[href="/schema/table?${new URLSearchParams({ schema, name })}"]`)
  }

  /** The highlighted keywords of the DDL. */
  ddlKeywords(): Locator {
    return this.ddl.locator('.sql-keyword')
  }

  /** The SQL block around the DDL, with its copy button and what the button said. */
  ddlBlock(): Locator {
    return this.ddl.locator('..')
  }

  async copyDdl() {
    await this.ddlBlock().getByRole('button', { name: /^Copy/ }).click()
  }

  copyStatus(): Locator {
    return this.ddlBlock().getByRole('status')
  }

  copyDdlButton(qualified: string): Locator {
    return this.page.getByRole('button', { name: `Copy DDL of ${qualified}` })
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
