import AxeBuilder from '@axe-core/playwright'
import type { Page } from '@playwright/test'
import { runDbadmin } from '../test/run-command'
import { e2eDatabaseUrl } from './e2e-db'
import { withStateDb } from './e2e-state-db'
import { asRole, expect, test } from './fixtures'
import { HealthPage } from './pages/health-page'
import { OverviewPage } from './pages/overview-page'

const cliEnv = () => ({ DATABASE_URL: e2eDatabaseUrl('dor'), STATE_DATABASE_URL: e2eDatabaseUrl('dbadmin_state') })
const CHART_TITLES = [
  'Connections by state',
  "The dashboard's connection pool",
  "The dashboard's failed queries",
  'Transactions per second',
  'Cache and index hit ratios',
  'Database size',
  'Longest running query',
  'Blocked sessions and deadlocks',
  'Temporary file bytes',
  'WAL bytes',
  'Replication lag',
  'Statement calls',
  'Mean statement time',
]

/** One health sample of the demo, as the sampler takes it, recorded in the server's state database. */
async function sample() {
  const r = await runDbadmin(['metrics', 'sample', '--json'], cliEnv())
  expect(r.stderr).toBe('')
  return (JSON.parse(r.stdout) as { sample: { id: number } }).sample
}

async function seriousViolations(page: Page, scheme: 'light' | 'dark'): Promise<string[]> {
  const axe = new AxeBuilder({ page })
  if (scheme === 'dark') axe.withRules(['color-contrast', 'link-in-text-block'])
  const { violations } = await axe.analyze()
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`)
}

test.describe('health as viewer', () => {
  asRole('viewer')
  test.describe.configure({ mode: 'serial' })

  test('before the first sample says when it comes and how to take one; then draws every chart, live, with markers, and the range picker changes them', async ({ page }) => {
    test.setTimeout(180_000)
    await withStateDb((db) => db.query("delete from metric_sample; delete from metric_aggregate; delete from alert_event where message like 'E2E %'"))
    const health = new HealthPage(page)
    await health.goto()
    await expect(health.heading).toBeVisible()
    // The e2e server runs with the sampler's schedule off (playwright.config.ts).
    await expect(health.empty).toContainText('schedule is off')
    await expect(health.empty).toContainText('dbadmin metrics sample')

    // Rates need two samples; the markers come from the state database's events.
    await sample()
    await new Promise((r) => setTimeout(r, 1500))
    await sample()
    await withStateDb((db) =>
      db.query(
        "insert into alert_event (target_key, target_database, rule, severity, kind, at, message) select target_key, 'dor', 'longRunningQuery', 'warning', 'firing', now() - interval '30 seconds', 'E2E marker: a query ran over 30 s' from metric_sample limit 1",
      ),
    )
    await health.goto()
    await expect(health.empty).toHaveCount(0)
    await expect(health.latest).toContainText('2 points at full resolution')
    for (const title of CHART_TITLES) await expect(health.chart(title), title).toBeVisible()
    // Drawn: each chart has its lines as SVG paths, with points in them where values exist.
    await expect(health.lines('Connections by state')).toHaveCount(5)
    await expect(health.lines('Connections by state').first()).toHaveAttribute('d', /^M[\d.]+,[\d.]+L/)
    await expect(health.lines('Transactions per second')).toHaveCount(3)
    // The dashboard's failed queries, counted from the second sample on (none failed here).
    await expect(health.lines("The dashboard's failed queries")).toHaveCount(1)
    await expect(health.summary("The dashboard's failed queries")).toContainText('failed since the previous sample: latest 0, min 0, max 0')
    await expect(health.summary('Connections by state')).toContainText(/active: latest \d+, min \d+, max \d+/)
    await expect(health.summary('Database size')).toContainText(/size: latest [\d.]+ MB/)
    await expect(health.forecast).toContainText('Not enough history yet')
    await expect(health.events).toContainText('Alert firing: E2E marker: a query ran over 30 s')
    // One marker per listed event on every chart (earlier specs' backups are events of this hour too).
    const events = await health.eventItems().count()
    expect(events).toBeGreaterThanOrEqual(1)
    await expect(health.markers('Transactions per second')).toHaveCount(events)
    await expect(health.markers('Connections by state')).toHaveCount(events)

    // Live: a new sample reaches the open page without a reload (the 1 h range polls every interval).
    await sample()
    await expect(health.latest).toContainText('3 points at full resolution', { timeout: 40_000 })
    await expect(health.summary('Transactions per second')).toContainText(/all: latest [\d.]+\/s/)

    // The range is in the URL; 24 h draws 5-minute aggregates of the same samples.
    await health.range('24 h').click()
    await expect(page).toHaveURL(/\/health\?range=24h$/)
    await expect(health.range('24 h')).toHaveAttribute('aria-current', 'page')
    await expect(health.latest).toContainText('5m aggregates')
    // The three samples fall in one or two 5-minute buckets: drawn as dots.
    await expect(health.dots('Connections by state').first()).toBeVisible()
    await health.range('1 y').click()
    await expect(health.latest).toContainText('1h aggregates')
    await health.goto('nonsense')
    await expect(health.range('1 h')).toHaveAttribute('aria-current', 'page')

    // The charts' route is the viewer's too, and says what a bad range is.
    const ok = await page.request.get('/api/health/series?range=6h')
    expect(ok.status()).toBe(200)
    const bad = await page.request.get('/api/health/series?range=2w')
    expect(bad.status()).toBe(400)
    expect(((await bad.json()) as { message: string }).message).toContain('must be one of 1h, 6h, 24h, 7d, 30d, 1y')
  })

  test('the Overview draws the last 24 h of four series from the same samples, linking to the Health page', async ({ page }) => {
    const overview = new OverviewPage(page)
    await overview.goto()
    await expect(overview.allHealthChartsLink()).toHaveAttribute('href', '/health?range=24h')
    for (const title of ['Active connections', 'Transactions per second', 'Cache hit ratio', 'Longest running query']) {
      const chart = overview.dayChart(title)
      await expect(chart, title).toBeVisible()
      // Drawn: a line, or dots for the one or two 5-minute buckets the few samples fall in.
      await expect(overview.drawn(chart).first(), title).toBeAttached()
    }
    await expect(overview.dayChart('Active connections')).toContainText(/Active connections: \d+/)
    expect(await seriousViolations(page, 'light')).toEqual([])
  })

  test('has no serious or critical accessibility violation, light and dark, empty and drawn', async ({ page }) => {
    test.setTimeout(120_000)
    const health = new HealthPage(page)
    await health.goto()
    // Drawn (the samples are seconds apart: the lines are short, so counted rather than seen).
    await expect(health.lines('Connections by state')).toHaveCount(5)
    const found: string[] = []
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme })
      found.push(...(await seriousViolations(page, scheme)).map((v) => `${scheme}: ${v}`))
    }
    await withStateDb((db) => db.query('delete from metric_sample; delete from metric_aggregate'))
    await health.goto()
    await expect(health.empty).toBeVisible()
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme })
      found.push(...(await seriousViolations(page, scheme)).map((v) => `empty ${scheme}: ${v}`))
    }
    expect(found).toEqual([])
  })
})
