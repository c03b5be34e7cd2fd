import AxeBuilder from '@axe-core/playwright'
import type { Page } from '@playwright/test'
import { createDb } from '../lib/db/connect'
import { targetIdentity } from '../lib/db/target-identity'
import { webhookListener } from '../test/mail-and-hook-listeners'
import { e2eDatabaseUrl } from './e2e-db'
import { withStateDb } from './e2e-state-db'
import { asRole, expect, test } from './fixtures'
import { AlertsPage } from './pages/alerts-page'
import { OverviewPage } from './pages/overview-page'
import { Shell } from './pages/shell'

const RULE = 'longRunningQuery'
const TITLE = 'Query running over 30 seconds'
let key = ''

/**
 * A firing alert as the sampler records one, judged "in the future": a sampler running meanwhile
 * takes its own samples for older and leaves it alone (lib/alerts/evaluate-alerts.ts).
 */
test.beforeAll(async () => {
  const db = createDb(e2eDatabaseUrl('dor'), { max: 1 })
  try {
    key = (await targetIdentity(db)).key
  } finally {
    await db.destroy()
  }
  await withStateDb(async (c) => {
    await c.query(`delete from alert_state where target_key = $1 and rule = $2`, [key, RULE])
    await c.query(
      `insert into alert_state (target_key, rule, state, pending_since, firing_since, value, threshold, message, evaluated_at)
       values ($1, $2, 'firing', now() - interval '5 minutes', now() - interval '5 minutes', 47, 30, $3, now() + interval '1 day')`,
      [key, RULE, `${TITLE}: 47 s (at or above 30 s).`],
    )
    const { rows } = await c.query<{ id: string }>(
      `insert into alert_event (target_key, target_database, rule, severity, kind, at, value, threshold, message)
       values ($1, 'dor', $2, 'warning', 'firing', now() - interval '5 minutes', 47, 30, $3) returning id`,
      [key, RULE, `${TITLE}: 47 s (at or above 30 s).`],
    )
    await c.query(`insert into notification_delivery (event_id, channel_name, status, attempts, last_error) values ($1, 'ops', 'failed', 4, 'the webhook answered HTTP 502')`, [rows[0].id])
  })
})

test.afterAll(async () => {
  await withStateDb(async (c) => {
    await c.query(`delete from alert_state where target_key = $1`, [key])
    await c.query(`delete from alert_event where target_key = $1`, [key])
    await c.query(`delete from alert_rule_setting where target_key = $1`, [key])
    await c.query(`delete from notification_channel where target_key = $1`, [key])
  })
})

async function seriousViolations(page: Page): Promise<string[]> {
  const found: string[] = []
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme })
    const { violations } = await new AxeBuilder({ page }).analyze()
    found.push(
      ...violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${scheme} ${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`),
    )
  }
  return found
}

test.describe.serial('alerts', () => {
  test.describe('as viewer', () => {
    asRole('viewer')

    test('sees the firing alert with what to do, the rules and the history, and changes nothing', async ({ page }) => {
      const alerts = new AlertsPage(page)
      await alerts.goto()
      await expect(new Shell(page).heading('Alerts')).toBeVisible()
      const row = alerts.alert(RULE)
      await expect(row).toContainText(TITLE)
      await expect(row).toContainText('firing')
      await expect(row).toContainText('47 s (alert at 30 s)')
      await expect(alerts.openLink(row, 'Open Activity')).toHaveAttribute('href', '/activity')
      await expect(alerts.rule('sequenceNearMax')).toContainText('at or above 90.0 %')
      await expect(alerts.rule('backupFailed')).toContainText('Source: DoR runbook alert "failed backups"')
      const event = alerts.history.row('rule', RULE)
      await expect(event).toContainText('firing')
      await expect(alerts.deliveries(event)).toContainText('1 failed the webhook answered HTTP 502')
      await expect(alerts.changeControls).toHaveCount(0)

      const overview = new OverviewPage(page)
      await overview.goto()
      // On every page: the number firing, linking to them.
      const shell = new Shell(page)
      await expect(shell.firingBadge).toHaveText('1 alert firing')
      await expect(shell.firingBadge).toHaveAttribute('href', '/alerts')
      const item = overview.item('alerts')
      await expect(item).toContainText(`1 alert firing: ${TITLE}.`)
      await overview.openLink(item, 'Open Alerts').click()
      await expect(page).toHaveURL(/\/alerts$/)
    })
  })

  test.describe('as operator', () => {
    asRole('operator')

    test('acknowledges and silences the firing alert, and cannot edit rules or channels', async ({ page }) => {
      const alerts = new AlertsPage(page)
      await alerts.goto()
      await alerts.acknowledge(TITLE).click()
      await expect(alerts.alert(RULE)).toContainText('acknowledged by operator@e2e.local')
      await expect(alerts.acknowledge(TITLE)).toHaveCount(0)
      await expect(await alerts.silence(RULE, '4 hours')).toHaveText(/^"Query running over 30 seconds" is silenced until .+ UTC\.$/)
      await expect(alerts.alert(RULE)).toContainText('silenced until')
      await expect(alerts.ruleForm(RULE)).toHaveCount(0)
      await expect(alerts.addWebhookForm).toHaveCount(0)
      await expect(await alerts.silence(RULE, 'no longer (notify again)')).toHaveText('"Query running over 30 seconds" notifies again.')
    })
  })

  test.describe('as admin', () => {
    asRole('admin')

    test('changes a threshold (a bad one is refused next to the field), adds channels and sees a failing test send', async ({ page }) => {
      const [hook, broken] = await Promise.all([webhookListener(), webhookListener(Array(5).fill(500))])
      try {
        const alerts = new AlertsPage(page)
        await alerts.goto()
        await expect(await alerts.saveRule('connectionsHigh', { threshold: '85' })).toHaveText('threshold: is a ratio: between 0 and 1 (0.8 is 80 %)')
        await expect(alerts.ruleFieldError('connectionsHigh')).toHaveText('is a ratio: between 0 and 1 (0.8 is 80 %)')
        await expect(alerts.threshold('connectionsHigh')).toHaveText('at or above 80.0 % for 1 min')
        await expect(await alerts.saveRule('connectionsHigh', { threshold: '0.85', forSeconds: '120' })).toHaveText('"Connections near max_connections" is saved.')
        await expect(alerts.threshold('connectionsHigh')).toHaveText('at or above 85.0 % for 2 min')
        await expect(alerts.rule('connectionsHigh')).toContainText('changed for this database')

        await expect(await alerts.addWebhook('ops hook', hook.url)).toHaveText('Channel "ops hook" added: it gets every firing and resolved alert.')
        await expect(alerts.channel('ops hook')).toContainText(hook.url)
        await alerts.testButton('ops hook').click()
        await expect(alerts.testResult('ops hook')).toHaveText('A test notification was sent to "ops hook".')
        expect(hook.received).toHaveLength(1)

        await expect(await alerts.addWebhook('broken hook', broken.url, 'Slack text')).toContainText('added')
        await alerts.testButton('broken hook').click()
        await expect(alerts.testResult('broken hook')).toHaveText('The test notification to "broken hook" failed: the webhook answered HTTP 500.')
        await expect(alerts.testResult('broken hook')).toHaveClass(/bad/)

        await alerts.deleteChannel('broken hook')
        await expect(alerts.channel('broken hook')).toHaveCount(0)
        expect(await seriousViolations(page)).toEqual([])
      } finally {
        await Promise.all([hook.close(), broken.close()])
      }
    })

    test('the Overview says what needs attention, each line with its link, with no accessibility violation', async ({ page }) => {
      const overview = new OverviewPage(page)
      await overview.goto()
      await expect(overview.item('alerts')).toContainText('1 alert firing')
      await expect(overview.items().first()).toHaveAttribute('data-severity', /critical|warning/)
      for (const link of await overview.attentionLinks().all()) await expect(link).toHaveAttribute('href', /^\/[a-z-]+/)
      await expect(overview.openLink(overview.item('indexes'), 'Open Indexes')).toHaveAttribute('href', '/indexes')
      await expect(overview.openLink(overview.item('vacuum'), 'Open Tables')).toHaveAttribute('href', '/tables')
      await expect(overview.openLink(overview.item('cache'), 'Open Health')).toHaveAttribute('href', '/health')
      expect(await seriousViolations(page)).toEqual([])
    })
  })
})
