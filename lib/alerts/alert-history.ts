import { isRuleName, type RuleName, RULES, type Severity } from './rules'
import type { AlertState } from './lifecycle'
import type { StateDb } from '../state/state-db'

export interface HistoryPage {
  events: {
    id: number
    rule: RuleName
    title: string
    severity: Severity
    kind: 'firing' | 'resolved'
    at: Date
    value: number | null
    threshold: number | null
    message: string
    /** How its notifications went: "2 sent, 1 failed (the webhook answered HTTP 500)". */
    deliveries: { sent: number; failed: number; sending: number; lastError: string | null }
  }[]
  total: number
  page: number
  pages: number
}

/** One page of a target's alert history, newest first. */
export async function pageAlertHistory(state: StateDb, targetKey: string, page: number, perPage = 25): Promise<HistoryPage> {
  const total = Number(
    (await state.selectFrom('alert_event').select((eb) => eb.fn.countAll<number>().as('n')).where('target_key', '=', targetKey).executeTakeFirstOrThrow()).n,
  )
  const pages = Math.max(1, Math.ceil(total / perPage))
  const current = Math.min(Math.max(1, Math.floor(page) || 1), pages)
  const rows = await state
    .selectFrom('alert_event as e')
    .selectAll('e')
    .select((eb) => [
      eb.selectFrom('notification_delivery as d').whereRef('d.event_id', '=', 'e.id').where('d.status', '=', 'sent').select((x) => x.fn.countAll<number>().as('n')).as('sent'),
      eb.selectFrom('notification_delivery as d').whereRef('d.event_id', '=', 'e.id').where('d.status', '=', 'failed').select((x) => x.fn.countAll<number>().as('n')).as('failed'),
      eb.selectFrom('notification_delivery as d').whereRef('d.event_id', '=', 'e.id').where('d.status', '=', 'sending').select((x) => x.fn.countAll<number>().as('n')).as('sending'),
      eb
        .selectFrom('notification_delivery as d')
        .whereRef('d.event_id', '=', 'e.id')
        .where('d.status', '=', 'failed')
        .select('d.last_error')
        .orderBy('d.id', 'desc')
        .limit(1)
        .as('last_error'),
    ])
    .where('e.target_key', '=', targetKey)
    .orderBy('e.at', 'desc')
    .orderBy('e.id', 'desc')
    .limit(perPage)
    .offset((current - 1) * perPage)
    .execute()
  return {
    events: rows
      .filter((r) => isRuleName(r.rule))
      .map((r) => ({
        id: Number(r.id),
        rule: r.rule as RuleName,
        title: RULES[r.rule as RuleName].title,
        severity: r.severity as Severity,
        kind: r.kind as HistoryPage['events'][number]['kind'],
        at: r.at,
        value: r.value,
        threshold: r.threshold,
        message: r.message,
        deliveries: { sent: Number(r.sent), failed: Number(r.failed), sending: Number(r.sending), lastError: r.last_error ?? null },
      })),
    total,
    page: current,
    pages,
  }
}

export interface ActiveAlert {
  rule: RuleName
  state: Exclude<AlertState, 'ok'>
  since: Date
  value: number | null
  threshold: number | null
  message: string
  evaluatedAt: Date
  acknowledgedBy: string | null
  acknowledgedAt: Date | null
  silencedUntil: Date | null
}

/**
 * The target's alerts that are firing or pending as the last evaluation left them, firing first;
 * read from the state database, so the page never waits on the managed database.
 */
export async function activeAlerts(state: StateDb, targetKey: string): Promise<ActiveAlert[]> {
  const rows = await state
    .selectFrom('alert_state')
    .selectAll()
    .where('target_key', '=', targetKey)
    .where('state', 'in', ['firing', 'pending'])
    .orderBy('state')
    .orderBy('firing_since')
    .orderBy('pending_since')
    .execute()
  return rows
    .filter((r) => isRuleName(r.rule))
    .map((r) => ({
      rule: r.rule as RuleName,
      state: r.state as ActiveAlert['state'],
      since: (r.state === 'firing' ? r.firing_since : r.pending_since) ?? r.evaluated_at,
      value: r.value,
      threshold: r.threshold,
      message: r.message ?? '',
      evaluatedAt: r.evaluated_at,
      acknowledgedBy: r.acknowledged_by,
      acknowledgedAt: r.acknowledged_at,
      silencedUntil: r.silenced_until && r.silenced_until.getTime() > Date.now() ? r.silenced_until : null,
    }))
}

/** Rules an operator silenced and whose silence has not ended, whatever their state. */
export async function silencedRules(state: StateDb, targetKey: string): Promise<Map<RuleName, Date>> {
  const rows = await state
    .selectFrom('alert_state')
    .select(['rule', 'silenced_until'])
    .where('target_key', '=', targetKey)
    .where('silenced_until', '>', new Date())
    .execute()
  return new Map(rows.filter((r) => isRuleName(r.rule)).map((r) => [r.rule as RuleName, r.silenced_until as Date]))
}

/**
 * What rules said, at their last judgement, they cannot see (e.g. sequences the monitoring login
 * may not read): the Alerts page shows it beside the rule, which would otherwise look quiet.
 */
export async function ruleNotices(state: StateDb, targetKey: string): Promise<Map<RuleName, string>> {
  const rows = await state.selectFrom('alert_state').select(['rule', 'notice']).where('target_key', '=', targetKey).where('notice', 'is not', null).execute()
  return new Map(rows.filter((r) => isRuleName(r.rule)).map((r) => [r.rule as RuleName, r.notice as string]))
}
