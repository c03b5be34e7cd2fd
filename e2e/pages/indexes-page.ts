import type { Locator } from '@playwright/test'
import { DataTablePart } from './data-table'
import { MaintenancePages } from './maintenance-pages'

/** /indexes: every index with its size and use, findings with their DROP, server-side sort and filter. */
export class IndexesPage extends MaintenancePages {
  readonly indexes = new DataTablePart(this.page.getByTestId('indexes'))

  async goto(query = '') {
    await this.page.goto(`/indexes${query}`)
  }

  /** The index rows whose text contains `text`. */
  indexRows(text?: string): Locator {
    return text ? this.indexes.rowWith(text) : this.indexes.rows()
  }
}
