import type { Locator, Page } from '@playwright/test'

/** /overview: one health line per concern, the last 24 h in four small charts, then the server's cards. */
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

  /** One concern's line of the health summary (keys of HEALTH_LINE_KEYS), always shown: data-severity ok, warning or critical. */
  item(key: string): Locator {
    return this.attention.locator(`li[data-item="${key}"]`)
  }
}
