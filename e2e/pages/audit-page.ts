import type { Locator, Page } from '@playwright/test'
import { DataTablePart } from './data-table'

/** /audit: the log, filtered through its URL as the filter form does. */
export class AuditPage {
  readonly entries: DataTablePart
  /** The link that downloads what the filters select as CSV. */
  readonly exportLink: Locator

  constructor(readonly page: Page) {
    this.entries = new DataTablePart(page.getByTestId('audit-table'))
    this.exportLink = page.getByTestId('audit-export')
  }

  /** The newest entry shown. */
  newest(): Locator {
    return this.entries.first()
  }

  /** The entries whose text contains `text` (an actor, a target). */
  entriesWith(text: string): Locator {
    return this.entries.rowWith(text)
  }

  async goto(filter: Record<string, string> = {}) {
    const query = new URLSearchParams(filter).toString()
    await this.page.goto(query ? `/audit?${query}` : '/audit')
  }
}
