import type { Locator, Page } from '@playwright/test'

/** /settings: the server's settings with advice beside those worth changing. */
export class SettingsPage {
  readonly settings: Locator

  constructor(readonly page: Page) {
    this.settings = page.getByTestId('settings')
  }

  async goto() {
    await this.page.goto('/settings')
  }
}
