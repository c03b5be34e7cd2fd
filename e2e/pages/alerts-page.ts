import type { Locator, Page } from '@playwright/test'
import { DataTablePart } from './data-table'

/** /alerts: firing and pending alerts, the rules, the notification channels and the history. */
export class AlertsPage {
  readonly active: DataTablePart
  readonly rules: DataTablePart
  readonly channels: DataTablePart
  readonly history: DataTablePart
  readonly addWebhookForm: Locator
  /** Every control that changes something; a viewer's page has none. */
  readonly changeControls: Locator

  constructor(readonly page: Page) {
    this.active = new DataTablePart(page.getByTestId('active-alerts'))
    this.rules = new DataTablePart(page.getByTestId('alert-rules'))
    this.channels = new DataTablePart(page.getByTestId('alert-channels'))
    this.history = new DataTablePart(page.getByTestId('alert-history'))
    this.addWebhookForm = page.getByTestId('add-webhook')
    this.changeControls = page.getByRole('button', { name: /Acknowledge|Silence|Save|Send test|Add webhook/ })
  }

  /** The link from an alert to the page where it is dealt with ("Open Activity"). */
  openLink(alert: Locator, name: string): Locator {
    return alert.getByRole('link', { name })
  }

  /** The deliveries of a history event to the channels. */
  deliveries(event: Locator): Locator {
    return event.getByTestId('deliveries')
  }

  /** A rule's threshold as the rules table states it. */
  threshold(rule: string): Locator {
    return this.rule(rule).getByTestId('rule-threshold')
  }

  /** The error a rule's form shows next to its field. */
  ruleFieldError(rule: string): Locator {
    return this.ruleForm(rule).getByTestId('field-error')
  }

  /** Deletes a channel, accepting the confirmation. */
  async deleteChannel(name: string) {
    this.page.once('dialog', (d) => void d.accept())
    await this.deleteButton(name).click()
  }

  async goto() {
    await this.page.goto('/alerts')
  }

  alert(rule: string): Locator {
    return this.active.row('rule', rule)
  }

  rule(rule: string): Locator {
    return this.rules.row('rule', rule)
  }

  channel(name: string): Locator {
    return this.channels.row('channel', name)
  }

  acknowledge(title: string): Locator {
    return this.page.getByRole('button', { name: `Acknowledge ${title}` })
  }

  async silence(rule: string, period: string) {
    const form = this.page.getByTestId(`silence-${rule}`)
    await form.getByRole('combobox').selectOption({ label: period })
    await form.getByRole('button', { name: /Silence|Change silence/ }).click()
    return form.getByRole('status')
  }

  ruleForm(rule: string): Locator {
    return this.page.getByTestId(`rule-form-${rule}`)
  }

  async saveRule(rule: string, fields: { threshold?: string; forSeconds?: string }) {
    const form = this.ruleForm(rule)
    if (fields.threshold !== undefined) await form.getByLabel(/^Threshold/).fill(fields.threshold)
    if (fields.forSeconds !== undefined) await form.getByLabel('For (s)').fill(fields.forSeconds)
    await form.getByRole('button', { name: 'Save' }).click()
    return form.getByRole('status')
  }

  async addWebhook(name: string, url: string, format: 'JSON event' | 'Slack text' = 'JSON event') {
    const form = this.addWebhookForm
    await form.getByLabel('Name').fill(name)
    await form.getByLabel('URL').fill(url)
    await form.getByLabel('Format').selectOption({ label: format })
    await form.getByRole('button', { name: 'Add webhook' }).click()
    return form.getByRole('status')
  }

  testButton(name: string): Locator {
    return this.page.getByRole('button', { name: `Send test to ${name}` })
  }

  /** The result shown beside a channel's Send test button. */
  testResult(name: string): Locator {
    return this.page.getByTestId(`test-channel-${name}`).getByRole('status')
  }

  deleteButton(name: string): Locator {
    return this.page.getByRole('button', { name: `Delete ${name}` })
  }
}
