import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppSessions } from '../../test/app-sessions'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { type ReceivedMail, smtpListener, webhookListener } from '../../test/mail-and-hook-listeners'
import { loadConfig } from '../config'
import { targetIdentity, type TargetIdentity } from '../db/target-identity'
import { runSamplerCycle, type SamplerConfig } from '../metrics/sampler-cycle'
import { takeSample } from '../metrics/take-sample'
import { migrateStateDb } from '../state/migrate-state'
import { acknowledgeAlert, countFiring, listAlertEvents, silenceAlert } from './alert-store'
import { addChannel } from './channels'
import { evaluateAlerts } from './evaluate-alerts'
import { loadRules, saveRuleSetting } from './rule-settings'
import { RULE_NAMES } from './rules'

let target: FreshDatabase
let state: FreshDatabase
let app: AppSessions
let identity: TargetIdentity
let smtp: Awaited<ReturnType<typeof smtpListener>>
let hook: Awaited<ReturnType<typeof webhookListener>>
let flaky: Awaited<ReturnType<typeof webhookListener>>
let broken: Awaited<ReturnType<typeof webhookListener>>
let config: SamplerConfig

beforeAll(async () => {
  ;[target, state, smtp, hook, flaky, broken] = await Promise.all([
    freshDatabase('alerts_t'),
    freshDatabase('alerts_s'),
    smtpListener(),
    webhookListener(),
    // The firing notification fails twice, then gets through; the other receiver always fails.
    webhookListener([500, 503]),
    webhookListener(Array(20).fill(500)),
  ])
  await migrateStateDb(state.db)
  // The slow-queries tests of other files read the whole server's pg_stat_statements: this file's
  // long statements must not top their lists.
  await sql`alter database ${sql.id(new URL(target.url).pathname.slice(1))} set pg_stat_statements.track = 'none'`.execute(target.db)
  identity = await targetIdentity(target.db)
  app = new AppSessions(target.url)
  config = loadConfig({
    SMTP_URL: smtp.url,
    ALERT_EMAIL_TO: 'ops@example.org',
    ALERT_EMAIL_FROM: 'dbadmin@example.org',
    ALERT_WEBHOOK_URL: hook.url,
  })
  // Only the long-running rule, at 2 seconds instead of 30, so that the test need not wait 40 s.
  for (const rule of RULE_NAMES) if (rule !== 'longRunningQuery') await saveRuleSetting(state.db, identity.key, rule, { enabled: false }, 'admin@test.local')
  await saveRuleSetting(state.db, identity.key, 'longRunningQuery', { threshold: 2 }, 'admin@test.local')
  await addChannel(state.db, identity.key, { name: 'flaky', kind: 'webhook', settings: { url: flaky.url, format: 'slack' } }, 'admin@test.local')
  await addChannel(state.db, identity.key, { name: 'broken', kind: 'webhook', settings: { url: broken.url, format: 'json' } }, 'admin@test.local')
})

afterAll(async () => {
  await app?.closeAll()
  await Promise.all([smtp?.close(), hook?.close(), flaky?.close(), broken?.close()])
  await Promise.all([target?.drop(), state?.drop()])
})

const cycle = () => runSamplerCycle(target.db, state.db, identity, config, { delivery: { backoffMs: 20, attempts: 3 } })
// Long header lines arrive folded onto continuation lines.
const header = (mail: ReceivedMail, name: string) => new RegExp(`^${name}: (.*)$`, 'mi').exec(mail.data.replace(/\n[ \t]+/g, ' '))?.[1]

describe('alerts on a real server', () => {
  it('a long query fires once within two samples, is notified once by webhook and e-mail, and resolves once after it ends', async () => {
    const quiet = await cycle()
    expect(quiet.events).toEqual([])
    expect(quiet.alerts.map((a) => [a.rule, a.state])).toEqual([['longRunningQuery', 'ok']])

    const sleeper = await app.open('dor-app')
    const sleeping = app.start(sleeper, 'select pg_sleep(40)')
    await new Promise((r) => setTimeout(r, 2200))
    const firing = await cycle()
    const second = await cycle()
    const fired = [...firing.events, ...second.events]
    expect(fired.map((e) => [e.rule, e.kind])).toEqual([['longRunningQuery', 'firing']])
    expect(second.alerts[0]).toMatchObject({ rule: 'longRunningQuery', state: 'firing', threshold: 2 })
    expect(second.alerts[0].value).toBeGreaterThanOrEqual(2)
    expect(await countFiring(state.db, identity.key)).toBe(1)
    await acknowledgeAlert(state.db, identity.key, 'longRunningQuery', 'operator@test.local')
    expect((await cycle()).alerts[0].acknowledgedBy).toBe('operator@test.local')

    await sql`select pg_cancel_backend(${sleeper.pid})`.execute(target.db)
    expect(await sleeping).toMatchObject({ ok: false, code: '57014' })
    const resolved = await cycle()
    expect(resolved.events.map((e) => [e.rule, e.kind])).toEqual([['longRunningQuery', 'resolved']])
    expect((await cycle()).events).toEqual([])
    expect(await countFiring(state.db, identity.key)).toBe(0)
    await expect(acknowledgeAlert(state.db, identity.key, 'longRunningQuery', 'operator@test.local')).rejects.toThrow('is not firing')

    // Exactly one notification per change on each channel.
    expect(hook.received.map((h) => (h.body as { kind: string }).kind)).toEqual(['firing', 'resolved'])
    expect(hook.received[0].contentType).toBe('application/json')
    expect(hook.received[0].body).toMatchObject({
      rule: 'longRunningQuery',
      severity: 'warning',
      threshold: 2,
      target: { database: identity.database, key: identity.key },
      message: expect.stringMatching(/^Query running over 30 seconds: \d+ s \(at or above 2 s\)\.$/),
    })
    expect(smtp.mails).toHaveLength(2)
    expect(smtp.mails.map((m) => m.to)).toEqual([['ops@example.org'], ['ops@example.org']])
    expect(smtp.mails[0].from).toBe('dbadmin@example.org')
    expect(header(smtp.mails[0], 'Subject')).toBe(`[FIRING warning] Query running over 30 seconds on ${identity.database}`)
    expect(header(smtp.mails[1], 'Subject')).toBe(`[RESOLVED warning] Query running over 30 seconds on ${identity.database}`)
    expect(smtp.mails[0].data).toContain('What to do: See it on the Activity page')
  })

  it('retries a failing receiver with backoff and records the failures, without holding up the others', async () => {
    // Slack's shape: one text line.
    expect(flaky.answered).toEqual([500, 503, 200, 200])
    expect(flaky.received[0].body).toEqual({ text: expect.stringMatching(/^\[FIRING warning\] Query running over 30 seconds on .+: Query running/) })
    expect(broken.answered).toEqual([500, 500, 500, 500, 500, 500])

    const events = await listAlertEvents(state.db, identity.key)
    expect(events.map((e) => e.kind)).toEqual(['resolved', 'firing'])
    const firing = events[1]
    const byChannel = Object.fromEntries(firing.deliveries.map((d) => [d.channel, d]))
    expect(byChannel).toEqual({
      ALERT_WEBHOOK_URL: { channel: 'ALERT_WEBHOOK_URL', status: 'sent', attempts: 1, error: null },
      ALERT_EMAIL_TO: { channel: 'ALERT_EMAIL_TO', status: 'sent', attempts: 1, error: null },
      flaky: { channel: 'flaky', status: 'sent', attempts: 3, error: null },
      broken: { channel: 'broken', status: 'failed', attempts: 3, error: 'the webhook answered HTTP 500' },
    })
  })

  it('a silenced rule still records its changes but notifies nobody', async () => {
    await silenceAlert(state.db, identity.key, 'longRunningQuery', new Date(Date.now() + 3600_000))
    const before = hook.received.length
    const sleeper = await app.open('dor-app')
    const sleeping = app.start(sleeper, 'select pg_sleep(40)')
    await new Promise((r) => setTimeout(r, 2200))
    const fired = await cycle()
    expect(fired.events.map((e) => [e.kind, e.silenced])).toEqual([['firing', true]])
    expect(fired.alerts[0].silencedUntil).toBeInstanceOf(Date)
    expect(fired.deliveries).toEqual([])
    await sql`select pg_cancel_backend(${sleeper.pid})`.execute(target.db)
    await sleeping
    expect((await cycle()).events.map((e) => e.kind)).toEqual(['resolved'])
    expect(hook.received).toHaveLength(before)
    expect((await listAlertEvents(state.db, identity.key)).slice(0, 2).every((e) => e.deliveries.length === 0)).toBe(true)
    await silenceAlert(state.db, identity.key, 'longRunningQuery', null)
  })

  it('evaluates without recording when asked (the CLI check), and an older sample changes nothing', async () => {
    const sample = await takeSample(target.db, state.db, identity.key, { store: false })
    const rows = async () => state.db.selectFrom('alert_state').selectAll().execute()
    const before = await rows()
    const events = (await state.db.selectFrom('alert_event').select('id').execute()).length
    await saveRuleSetting(state.db, identity.key, 'longRunningQuery', { threshold: 0 }, 'admin@test.local')
    const dry = await evaluateAlerts(state.db, identity, sample, { persist: false })
    expect(dry.alerts[0]).toMatchObject({ rule: 'longRunningQuery', state: 'firing' })
    // Nothing recorded, so nothing to notify.
    expect(dry.events).toEqual([])
    expect(await rows()).toEqual(before)
    // A sample from before the last evaluation, arriving late, is not judged again.
    const late = await evaluateAlerts(state.db, identity, { ...sample, takenAt: new Date(sample.takenAt.getTime() - 3600_000) })
    expect(late.events).toEqual([])
    expect((await state.db.selectFrom('alert_event').select('id').execute()).length).toBe(events)
    await saveRuleSetting(state.db, identity.key, 'longRunningQuery', { threshold: 2 }, 'admin@test.local')
  })

  it('rule settings: changes apply per target, the storage rules need a limit, bad input is refused', async () => {
    const rules = await loadRules(state.db, identity.key)
    expect(rules.find((r) => r.name === 'longRunningQuery')).toMatchObject({ threshold: 2, customised: true, enabled: true })
    expect(rules.find((r) => r.name === 'storageLimit')).toMatchObject({ enabled: false, unavailable: 'needs STORAGE_LIMIT_BYTES' })
    const other = await loadRules(state.db, 'another/dor', { storageLimitBytes: 5e9 })
    expect(other.find((r) => r.name === 'longRunningQuery')).toMatchObject({ threshold: 30, customised: false })
    expect(other.find((r) => r.name === 'storageLimit')).toMatchObject({ enabled: true, threshold: 5e9 })
    await expect(saveRuleSetting(state.db, identity.key, 'noSuchRule', { enabled: false }, 'a')).rejects.toThrow('There is no alert rule "noSuchRule".')
    await expect(saveRuleSetting(state.db, identity.key, 'longRunningQuery', { forSeconds: -1 }, 'a')).rejects.toThrow('whole number of seconds')
    await expect(addChannel(state.db, identity.key, { name: 'x', kind: 'webhook', settings: { url: 'file:///etc/passwd', format: 'json' } }, 'a')).rejects.toThrow('http://')
    expect((await loadRules(state.db, identity.key)).find((r) => r.name === 'longRunningQuery')!.threshold).toBe(2)
  })
})
