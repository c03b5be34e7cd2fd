import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type ActionHarness, openActionHarness } from '../../../test/action-harness'
import { smtpListener, webhookListener } from '../../../test/mail-and-hook-listeners'
import type { GuardedSpec } from '@/lib/auth/guarded-run'
import type { Role } from '@/lib/auth/permissions'
import { targetIdentity } from '@/lib/db/target-identity'

// revalidatePath needs a Next request; here the actions run in plain Node.
vi.mock('next/cache', () => ({ revalidatePath: () => {} }))

type Name = 'ack' | 'silence' | 'rule' | 'add' | 'toggle' | 'delete' | 'test'
let h: ActionHarness
let specs: Record<Name, GuardedSpec<any, any>>
let key: string
let hook: Awaited<ReturnType<typeof webhookListener>>
let failing: Awaited<ReturnType<typeof webhookListener>>
let smtp: Awaited<ReturnType<typeof smtpListener>>

beforeAll(async () => {
  ;[hook, failing, smtp] = await Promise.all([webhookListener(), webhookListener(Array(5).fill(503)), smtpListener()])
  process.env.SMTP_URL = smtp.url
  process.env.ALERT_EMAIL_TO = 'ops@example.org'
  h = await openActionHarness('alerts_actions')
  key = (await targetIdentity(h.target.db)).key
  const { wrappedSpec } = await import('@/lib/auth/action')
  const m = await import('./actions')
  specs = {
    ack: wrappedSpec(m.acknowledgeAlertAction)!,
    silence: wrappedSpec(m.silenceAlertAction)!,
    rule: wrappedSpec(m.saveRuleAction)!,
    add: wrappedSpec(m.addChannelAction)!,
    toggle: wrappedSpec(m.setChannelEnabledAction)!,
    delete: wrappedSpec(m.deleteChannelAction)!,
    test: wrappedSpec(m.testChannelAction)!,
  }
})
afterAll(async () => {
  await h?.close()
  await Promise.all([hook?.close(), failing?.close(), smtp?.close()])
  delete process.env.SMTP_URL
  delete process.env.ALERT_EMAIL_TO
})

const as = (role: Role, name: Name, input: unknown) => h.as(role, specs[name], input)
const settings = () => h.state.db.selectFrom('alert_rule_setting').selectAll().execute()
const channels = () => h.state.db.selectFrom('notification_channel').select(['id', 'name', 'kind', 'enabled', 'settings']).orderBy('id').execute()
const audit = (action: string) => h.state.db.selectFrom('audit_log').select(['actor_email', 'result', 'target']).where('action', '=', action).orderBy('id').execute()

describe('alert rules on the Alerts page', () => {
  const good = { rule: 'longRunningQuery', enabled: 'on', threshold: '45', forSeconds: '0', severity: 'critical' }

  it('are changed by admins only; bad input is refused with a clear error and changes nothing', async () => {
    for (const role of ['operator', 'viewer'] as const) expect(await as(role, 'rule', good)).toMatchObject({ ok: false, code: 'forbidden' })
    expect(await as('admin', 'rule', { ...good, rule: 'noSuchRule' })).toMatchObject({ ok: false, code: 'invalid_input', message: 'rule: is not an alert rule' })
    expect(await as('admin', 'rule', { ...good, threshold: 'lots' })).toMatchObject({ ok: false, code: 'invalid_input', message: 'threshold: must be a number' })
    expect(await as('admin', 'rule', { ...good, threshold: '-1' })).toMatchObject({ ok: false, code: 'invalid_input', fieldErrors: { threshold: 'must be 0 or more' } })
    expect(await as('admin', 'rule', { ...good, rule: 'connectionsHigh', threshold: '80' })).toMatchObject({
      ok: false,
      code: 'invalid_input',
      message: 'threshold: is a ratio: between 0 and 1 (0.8 is 80 %)',
    })
    expect(await as('admin', 'rule', { ...good, forSeconds: '1.5' })).toMatchObject({ ok: false, message: 'forSeconds: must be whole seconds' })
    expect(await as('admin', 'rule', { ...good, severity: 'fatal' })).toMatchObject({ ok: false, message: 'severity: must be warning or critical' })
    expect(await settings()).toEqual([])

    expect(await as('admin', 'rule', good)).toMatchObject({ ok: true, message: '"Query running over 30 seconds" is saved.' })
    // An unchecked box is not sent: the rule is off.
    expect(await as('admin', 'rule', { rule: 'cacheHitRatioLow', threshold: '0.95', forSeconds: '600', severity: 'warning' })).toMatchObject({ ok: true, message: '"Cache hit ratio below 99 %" is saved (off).' })
    const { loadRules } = await import('@/lib/alerts/rule-settings')
    const rules = await loadRules(h.state.db, key)
    expect(rules.find((r) => r.name === 'longRunningQuery')).toMatchObject({ threshold: 45, severity: 'critical', enabled: true, customised: true })
    expect(rules.find((r) => r.name === 'cacheHitRatioLow')).toMatchObject({ threshold: 0.95, enabled: false })
    expect((await audit('alerts.rule.save')).map((a) => a.result)).toEqual(['denied', 'denied', 'invalid', 'invalid', 'invalid', 'invalid', 'invalid', 'invalid', 'ok', 'ok'])
  })
})

describe('acknowledging and silencing', () => {
  it('operators and admins answer alerts, viewers do not; only a firing alert is acknowledged', async () => {
    expect(await as('viewer', 'ack', { rule: 'longRunningQuery' })).toMatchObject({ ok: false, code: 'forbidden' })
    expect(await as('viewer', 'silence', { rule: 'longRunningQuery', minutes: '60' })).toMatchObject({ ok: false, code: 'forbidden' })
    expect(await as('operator', 'ack', { rule: 'longRunningQuery' })).toMatchObject({ ok: false, code: 'conflict', message: 'The alert "Query running over 30 seconds" is not firing.' })
    await h.state.db
      .insertInto('alert_state')
      .values({ target_key: key, rule: 'longRunningQuery', state: 'firing', pending_since: new Date(), firing_since: new Date(), evaluated_at: new Date(), value: 50, threshold: 45, message: 'm' })
      .execute()
    expect(await as('operator', 'ack', { rule: 'longRunningQuery' })).toMatchObject({ ok: true, message: '"Query running over 30 seconds" is acknowledged.' })
    const row = await h.state.db.selectFrom('alert_state').selectAll().where('rule', '=', 'longRunningQuery').executeTakeFirstOrThrow()
    expect(row.acknowledged_by).toBe('operator@test.local')

    expect(await as('operator', 'silence', { rule: 'longRunningQuery', minutes: '20000' })).toMatchObject({ ok: false, message: 'minutes: must be at most a week (10080 minutes)' })
    expect(await as('operator', 'silence', { rule: 'nope', minutes: '60' })).toMatchObject({ ok: false, code: 'invalid_input' })
    expect((await h.state.db.selectFrom('alert_state').select('silenced_until').where('rule', '=', 'longRunningQuery').executeTakeFirstOrThrow()).silenced_until).toBeNull()
    const silenced = await as('operator', 'silence', { rule: 'longRunningQuery', minutes: '60' })
    expect(silenced).toMatchObject({ ok: true, message: expect.stringMatching(/^"Query running over 30 seconds" is silenced until \d{4}-\d\d-\d\d \d\d:\d\d UTC\.$/) })
    const until = (await h.state.db.selectFrom('alert_state').select('silenced_until').where('rule', '=', 'longRunningQuery').executeTakeFirstOrThrow()).silenced_until as Date
    expect(until.getTime() - Date.now()).toBeGreaterThan(59 * 60_000)
    expect(await as('admin', 'silence', { rule: 'longRunningQuery', minutes: '0' })).toMatchObject({ ok: true, message: '"Query running over 30 seconds" notifies again.' })
    expect(await audit('alerts.acknowledge')).toEqual([
      { actor_email: 'viewer@test.local', result: 'denied', target: null },
      { actor_email: 'operator@test.local', result: 'failed', target: 'longRunningQuery' },
      { actor_email: 'operator@test.local', result: 'ok', target: 'longRunningQuery' },
    ])
  })
})

describe('notification channels', () => {
  it('are added, switched and deleted by admins only, with clear errors for bad input', async () => {
    const webhook = { kind: 'webhook', name: 'ops hook', url: hook.url, format: 'json' }
    for (const role of ['operator', 'viewer'] as const) expect(await as(role, 'add', webhook)).toMatchObject({ ok: false, code: 'forbidden' })
    expect(await as('admin', 'add', { ...webhook, url: 'file:///etc/passwd' })).toMatchObject({ ok: false, message: 'url: must be an http:// or https:// URL' })
    expect(await as('admin', 'add', { ...webhook, kind: 'pager' })).toMatchObject({ ok: false, code: 'invalid_input' })
    expect(await as('admin', 'add', { kind: 'email', name: 'mail', to: 'not an address' })).toMatchObject({ ok: false, message: 'to: must be 1 to 20 e-mail addresses separated by commas or spaces' })
    expect(await as('admin', 'add', { ...webhook, name: ' ' })).toMatchObject({ ok: false, message: 'name: name the channel' })
    expect(await as('admin', 'add', { ...webhook, name: 'ALERT_WEBHOOK_URL' })).toMatchObject({ ok: false, code: 'invalid_input', fieldErrors: { name: expect.stringContaining('from the configuration') } })
    expect(await channels()).toEqual([])

    expect(await as('admin', 'add', webhook)).toMatchObject({ ok: true })
    expect(await as('admin', 'add', { kind: 'webhook', name: 'ünïcode; DROP', url: failing.url, format: 'slack' })).toMatchObject({ ok: true })
    expect(await as('admin', 'add', { kind: 'email', name: 'mail', to: 'a@example.org, b@example.org' })).toMatchObject({ ok: true })
    expect(await as('admin', 'add', webhook)).toMatchObject({ ok: false, code: 'invalid_input', message: 'There is already a channel named "ops hook".' })
    const list = await channels()
    expect(list.map((c) => [c.name, c.kind, c.enabled, c.settings])).toEqual([
      ['ops hook', 'webhook', true, { url: hook.url, format: 'json' }],
      ['ünïcode; DROP', 'webhook', true, { url: failing.url, format: 'slack' }],
      ['mail', 'email', true, { to: ['a@example.org', 'b@example.org'] }],
    ])

    const id = list[2].id
    expect(await as('operator', 'toggle', { id, enabled: 'false' })).toMatchObject({ ok: false, code: 'forbidden' })
    expect(await as('admin', 'toggle', { id: 999999, enabled: 'false' })).toMatchObject({ ok: false, code: 'not_found', message: 'There is no channel #999999.' })
    expect(await as('admin', 'toggle', { id, enabled: 'false' })).toMatchObject({ ok: true })
    expect((await channels())[2].enabled).toBe(false)
    expect(await as('viewer', 'delete', { id })).toMatchObject({ ok: false, code: 'forbidden' })
    expect(await as('admin', 'delete', { id: 'x' })).toMatchObject({ ok: false, message: 'id: must be a channel number' })
    expect(await as('admin', 'delete', { id })).toMatchObject({ ok: true, message: 'Channel "mail" is deleted.' })
    expect(await as('admin', 'delete', { id })).toMatchObject({ ok: false, code: 'not_found' })
    expect((await channels()).map((c) => c.name)).toEqual(['ops hook', 'ünïcode; DROP'])
  })

  it('send test: arrives at a working receiver, and a failing one is reported clearly', async () => {
    const [ok, bad] = await channels()
    expect(await as('operator', 'test', { channel: String(ok.id) })).toMatchObject({ ok: false, code: 'forbidden' })
    expect(hook.received).toEqual([])
    expect(await as('admin', 'test', { channel: String(ok.id) })).toMatchObject({ ok: true, message: 'A test notification was sent to "ops hook".' })
    expect(hook.received).toHaveLength(1)
    expect(hook.received[0].body).toMatchObject({ kind: 'firing', title: 'Test notification', message: 'A test of the channel "ops hook" from the Alerts page: nothing is wrong.' })
    expect(await as('admin', 'test', { channel: String(bad.id) })).toMatchObject({
      ok: false,
      code: 'unavailable',
      message: 'The test notification to "ünïcode; DROP" failed: the webhook answered HTTP 503.',
    })
    expect(failing.answered).toEqual([503])
    // The channel of the configuration (ALERT_EMAIL_TO through SMTP_URL).
    expect(await as('admin', 'test', { channel: 'ALERT_EMAIL_TO' })).toMatchObject({ ok: true, message: 'A test notification was sent to "ALERT_EMAIL_TO".' })
    expect(smtp.mails.map((m) => m.to)).toEqual([['ops@example.org']])
    expect(await as('admin', 'test', { channel: 'ALERT_WEBHOOK_URL' })).toMatchObject({ ok: false, code: 'not_found', message: 'There is no channel ALERT_WEBHOOK_URL.' })
    expect(await as('admin', 'test', { channel: 'x; select 1' })).toMatchObject({ ok: false, code: 'invalid_input' })
    expect((await audit('alerts.channel.test')).map((a) => a.result)).toEqual(['denied', 'ok', 'failed', 'ok', 'failed', 'invalid'])
  })
})
