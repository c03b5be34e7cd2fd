import type { Locator } from '@playwright/test'
import { DataTablePart } from './data-table'
import { MaintenancePages } from './maintenance-pages'

/** /tables: tables with bloat and XID age, the cache hit ratio, sequences near their maximum, VACUUM and ANALYZE. */
export class TablesPage extends MaintenancePages {
  readonly tables = new DataTablePart(this.page.getByTestId('tables'))
  readonly cacheHit = this.page.getByTestId('cache-hit')
  readonly sequenceDanger = this.page.getByTestId('sequence-danger')
  readonly vacuumButtons = this.page.getByTestId('run-vacuum')

  async goto(query = '') {
    await this.page.goto(`/tables${query}`)
  }

  /** One ratio of the cache hit card ("tables", "indexes"). */
  cacheHitOf(part: string): Locator {
    return this.cacheHit.locator(`[data-part="${part}"]`)
  }

  /** A sequence's line in the near-their-maximum card, by its qualified name. */
  sequence(qualified: string): Locator {
    return this.sequenceDanger.locator(`[data-sequence="${qualified}"]`)
  }
}
