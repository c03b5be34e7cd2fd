import type { Locator, Page } from '@playwright/test'

/** /overview: what needs attention now, then the server's cards. */
export class OverviewPage {
  readonly attention: Locator

  constructor(readonly page: Page) {
    this.attention = page.getByTestId('attention')
  }

  async goto() {
    await this.page.goto('/overview')
  }

  item(key: string): Locator {
    return this.attention.locator(`li[data-item="${key}"]`)
  }
}
