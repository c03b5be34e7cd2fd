import type { Page } from '@playwright/test'
import { DataTablePart } from './data-table'

/** /audit: the log, filtered through its URL as the filter form does. */
export class AuditPage {
  readonly entries: DataTablePart

  constructor(readonly page: Page) {
    this.entries = new DataTablePart(page.getByTestId('audit-table'))
  }

  async goto(filter: Record<string, string> = {}) {
    const query = new URLSearchParams(filter).toString()
    await this.page.goto(query ? `/audit?${query}` : '/audit')
  }
}
