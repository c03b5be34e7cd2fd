import type { Locator, Page } from '@playwright/test'

/** /overview: what needs attention now, the last 24 h in four small charts, then the server's cards. */
export class OverviewPage {
  readonly attention: Locator
  readonly dayCharts: Locator

  constructor(readonly page: Page) {
    this.attention = page.getByTestId('attention')
    this.dayCharts = page.getByTestId('day-charts')
  }

  async goto() {
    await this.page.goto('/overview')
  }

  /** One of the small charts of the last 24 h, by its title. */
  dayChart(title: string): Locator {
    return this.dayCharts.getByRole('figure', { name: new RegExp(`^${title}:`) })
  }

  item(key: string): Locator {
    return this.attention.locator(`li[data-item="${key}"]`)
  }

  /** One of the standing checks under the list (indexes, vacuum, cache), green or what is wrong. */
  concern(key: string): Locator {
    return this.attention.getByTestId('concerns').locator(`li[data-item="${key}"]`)
  }
}
