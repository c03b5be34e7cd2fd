import type { Locator, Page } from '@playwright/test'

/** /health: the sampled metrics as charts, a range picker, the storage forecast and the events. */
export class HealthPage {
  readonly heading: Locator
  readonly rangePicker: Locator
  readonly empty: Locator
  readonly latest: Locator
  readonly forecast: Locator
  readonly events: Locator

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { name: 'Health', exact: true, level: 1 })
    this.rangePicker = page.getByRole('navigation', { name: 'Time range' })
    this.empty = page.getByTestId('health-empty')
    this.latest = page.getByTestId('health-latest')
    this.forecast = page.getByTestId('storage-forecast')
    this.events = page.getByTestId('health-events')
  }

  async goto(range?: string) {
    await this.page.goto(range ? `/health?range=${range}` : '/health')
  }

  range(label: string): Locator {
    return this.rangePicker.getByRole('link', { name: label, exact: true })
  }

  /** One chart's figure, found by its title. */
  chart(title: string): Locator {
    return this.page.getByRole('figure', { name: title, exact: true })
  }

  /** The drawn lines of a chart (recharts' curves; a line with a gap is still one path). */
  lines(title: string): Locator {
    return this.chart(title).locator('path.recharts-line-curve')
  }

  /** The points drawn as dots (a line of one or two points). */
  dots(title: string): Locator {
    return this.chart(title).locator('.recharts-line-dots circle')
  }

  /** The vertical markers of migrations, fixes, backups and alerts on a chart. */
  markers(title: string): Locator {
    return this.chart(title).locator('.recharts-reference-line')
  }

  /** The listed events (migrations, fixes, backups, alerts) of the range. */
  eventItems(): Locator {
    return this.events.locator('li')
  }

  summary(title: string): Locator {
    return this.chart(title).locator('.chart-summary')
  }
}
