import { createTransport } from 'nodemailer'
import type { Channel } from './channels'
import type { AlertEvent } from './evaluate-alerts'
import { show } from './judge'
import { RULES } from './rules'
import type { StateDb } from '../state/state-db'

export interface DeliveryOptions {
  /** SMTP_URL; e-mail channels fail with a clear error without it. */
  smtpUrl?: string
  /** ALERT_EMAIL_FROM. */
  from?: string
  /** Tries per notification (default 4) … */
  attempts?: number
  /** … waiting this long before the second, doubling each time (default 2 s). */
  backoffMs?: number
  /** Each attempt's limit (default 10 s). */
  timeoutMs?: number
}

export interface DeliveryResult {
  eventId: number
  channel: string
  status: 'sent' | 'failed'
  attempts: number
  error: string | null
}

const verb = (e: AlertEvent) => (e.kind === 'firing' ? 'FIRING' : 'RESOLVED')

/** The JSON a webhook receives: everything about the change, in stable field names. */
export function webhookPayload(e: AlertEvent) {
  return {
    kind: e.kind,
    rule: e.rule,
    title: e.title,
    severity: e.severity,
    target: { database: e.targetDatabase, key: e.targetKey },
    at: e.at.toISOString(),
    value: e.value,
    threshold: e.threshold,
    message: e.message,
    advice: e.advice,
  }
}

function summary(e: AlertEvent): string {
  return `[${verb(e)} ${e.severity}] ${e.title} on ${e.targetDatabase}`
}

function emailText(e: AlertEvent): string {
  const rule = RULES[e.rule]
  return [
    summary(e),
    '',
    e.message,
    e.kind === 'firing' ? `What to do: ${e.advice}` : 'The condition no longer holds.',
    '',
    `Threshold: ${show(rule, e.threshold)} (${rule.source})`,
    `At: ${e.at.toISOString()}`,
    `Target: ${e.targetKey}`,
  ].join('\n')
}

async function sendWebhook(channel: Extract<Channel, { kind: 'webhook' }>, e: AlertEvent, timeoutMs: number): Promise<void> {
  const body = channel.settings.format === 'slack' ? { text: `${summary(e)}: ${e.message}` } : webhookPayload(e)
  const res = await fetch(channel.settings.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'dor-db-admin' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
    redirect: 'error',
  })
  // The body is not needed, but it must be read for the connection to be reused or closed.
  await res.arrayBuffer().catch(() => undefined)
  if (!res.ok) throw new Error(`the webhook answered HTTP ${res.status}`)
}

async function sendEmail(channel: Extract<Channel, { kind: 'email' }>, e: AlertEvent, opts: DeliveryOptions, timeoutMs: number): Promise<void> {
  if (!opts.smtpUrl) throw new Error('SMTP_URL is not set: e-mail cannot be sent')
  const transport = createTransport(opts.smtpUrl, { from: opts.from ?? 'dbadmin@localhost' })
  try {
    await Promise.race([
      transport.sendMail({ to: channel.settings.to, subject: summary(e), text: emailText(e) }),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer from the SMTP server within ${timeoutMs} ms`)), timeoutMs).unref()),
    ])
  } finally {
    transport.close()
  }
}

/**
 * Sends each event (not silenced) to each enabled channel, retrying with backoff, and records every
 * delivery with its attempts and last error so that failures are shown, not lost. Channels are
 * independent: one failing receiver delays nobody else's notification.
 */
export async function notifyEvents(state: StateDb, events: AlertEvent[], channels: Channel[], opts: DeliveryOptions = {}): Promise<DeliveryResult[]> {
  const attempts = Math.max(1, opts.attempts ?? 4)
  const backoffMs = opts.backoffMs ?? 2000
  const timeoutMs = opts.timeoutMs ?? 10_000
  const jobs = events
    .filter((e) => !e.silenced)
    .flatMap((e) => channels.filter((c) => c.enabled).map((c) => ({ e, c })))
  return Promise.all(
    jobs.map(async ({ e, c }): Promise<DeliveryResult> => {
      const row = await state
        .insertInto('notification_delivery')
        .values({ event_id: e.id, channel_id: c.id, channel_name: c.name, status: 'sending' })
        .returning('id')
        .executeTakeFirstOrThrow()
      let error: string | null = null
      let tried = 0
      for (; tried < attempts; ) {
        if (tried > 0) await new Promise((r) => setTimeout(r, backoffMs * 2 ** (tried - 1)))
        tried++
        try {
          if (c.kind === 'webhook') await sendWebhook(c, e, timeoutMs)
          else await sendEmail(c, e, opts, timeoutMs)
          error = null
          break
        } catch (err) {
          error = describeError(err)
          await state.updateTable('notification_delivery').set({ attempts: tried, last_error: error }).where('id', '=', row.id).execute()
        }
      }
      const status = error === null ? 'sent' : 'failed'
      await state
        .updateTable('notification_delivery')
        .set({ status, attempts: tried, last_error: error, finished_at: new Date() })
        .where('id', '=', row.id)
        .execute()
      return { eventId: e.id, channel: c.name, status, attempts: tried, error }
    }),
  )
}

function describeError(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } }
  const cause = e.cause?.code ?? e.cause?.message
  // A URL may carry a token: only the message, never the request, is kept.
  return (cause ? `${e.message} (${cause})` : String(e.message ?? e)).slice(0, 500)
}

/**
 * Sends one made-up firing notification to a channel, once (no retries, so that the page answers
 * quickly), and says what went wrong. Nothing is recorded: there is no event behind it.
 */
export async function sendTestNotification(
  channel: Channel,
  target: { key: string; database: string },
  opts: Pick<DeliveryOptions, 'smtpUrl' | 'from' | 'timeoutMs'> = {},
): Promise<{ ok: true } | { ok: false; error: string }> {
  const e: AlertEvent = {
    id: 0,
    targetKey: target.key,
    targetDatabase: target.database,
    rule: 'longRunningQuery',
    title: 'Test notification',
    severity: 'warning',
    kind: 'firing',
    at: new Date(),
    value: null,
    threshold: RULES.longRunningQuery.threshold,
    message: `A test of the channel "${channel.name}" from the Alerts page: nothing is wrong.`,
    advice: 'Nothing to do: this only shows that notifications arrive.',
    silenced: false,
  }
  const timeoutMs = opts.timeoutMs ?? 10_000
  try {
    if (channel.kind === 'webhook') await sendWebhook(channel, e, timeoutMs)
    else await sendEmail(channel, e, opts, timeoutMs)
    return { ok: true }
  } catch (err) {
    return { ok: false, error: describeError(err) }
  }
}
