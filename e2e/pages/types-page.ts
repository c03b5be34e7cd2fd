import type { Locator, Page } from '@playwright/test'

/** /schema/types: enum types with an anchor each, and sequences. */
export class TypesPage {
  readonly sequences: Locator

  constructor(readonly page: Page) {
    this.sequences = page.getByTestId('sequences-table')
  }

  /** Opens the page at a type's anchor ("public.agendaitemtype"). */
  async goto(anchor = '') {
    await this.page.goto(`/schema/types${anchor ? `#${anchor}` : ''}`)
  }

  /** An enum type's row, found by its anchor id. */
  typeRow(qualified: string): Locator {
    return this.page.locator(`tr[id="${qualified}"]`)
  }

  /** The link from a type's row to a table that uses it. */
  usedBy(row: Locator, table: string): Locator {
    return row.getByRole('link', { name: table })
  }
}
