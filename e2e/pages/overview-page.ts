import type { Locator, Page } from '@playwright/test'

/** /overview: one health line per concern, the last 24 h in four small charts, then the server's cards. */
export class OverviewPage {
  readonly attention: Locator
  readonly dayCharts: Locator
  readonly serverCards: Locator
  readonly dorTables: Locator
  /** How old the newest backup is, with data-alert when too old. */
  readonly backupAge: Locator
  /** The newest restore drill's result, with data-ok. */
  readonly backupDrill: Locator

  constructor(readonly page: Page) {
    this.attention = page.getByTestId('attention')
    this.dayCharts = page.getByTestId('day-charts')
    this.serverCards = page.getByTestId('server-cards')
    this.dorTables = page.getByTestId('dor-tables')
    this.backupAge = page.getByTestId('backup-age')
    this.backupDrill = page.getByTestId('backup-drill')
  }

  async goto() {
    await this.page.goto('/overview')
  }

  /** One of the small charts of the last 24 h, by its title. */
  dayChart(title: string): Locator {
    return this.dayCharts.getByRole('figure', { name: new RegExp(`^${title}:`) })
  }

  /** The health summary's lines, one per concern, problems first. */
  items(): Locator {
    return this.attention.locator('li')
  }

  /** "N of 12 concerns need attention." above the lines. */
  summary(): Locator {
    return this.attention.getByTestId('attention-summary')
  }

  /** A line's green "ok" badge. */
  okBadge(line: Locator): Locator {
    return line.locator('.badge.ok')
  }

  /** A line's link to the page that deals with it. */
  lineLink(line: Locator): Locator {
    return line.getByRole('link')
  }

  /** Every link of the attention list. */
  attentionLinks(): Locator {
    return this.attention.getByRole('link')
  }

  /** The link of an attention line or standing check to the page that deals with it ("Open Alerts"). */
  openLink(line: Locator, name: string): Locator {
    return line.getByRole('link', { name })
  }

  /** The link from the small charts to the Health page. */
  allHealthChartsLink(): Locator {
    return this.dayCharts.getByRole('link', { name: 'All health charts' })
  }

  /** What a small chart drew: its line, or dots for a line of one or two points. */
  drawn(chart: Locator): Locator {
    return chart.locator('path.recharts-line-curve, .recharts-line-dots circle')
  }

  /** One concern's line of the health summary (keys of HEALTH_LINE_KEYS), always shown: data-severity ok, warning or critical. */
  item(key: string): Locator {
    return this.attention.locator(`li[data-item="${key}"]`)
  }
}
