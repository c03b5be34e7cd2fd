import { AlertError } from './alert-error'
import { isRuleName, RULES, type RuleName, type Severity } from './rules'
import type { StateDb } from '../state/state-db'

export interface StoredAlertEvent {
  id: number
  rule: RuleName
  title: string
  severity: Severity
  kind: 'firing' | 'resolved'
  at: Date
  value: number | null
  threshold: number | null
  message: string
  deliveries: { channel: string; status: 'sending' | 'sent' | 'failed'; attempts: number; error: string | null }[]
}

/** A target's alert history, newest first, with how each notification went. */
export async function listAlertEvents(state: StateDb, targetKey: string, opts: { limit?: number; since?: Date } = {}): Promise<StoredAlertEvent[]> {
  let q = state.selectFrom('alert_event').selectAll().where('target_key', '=', targetKey)
  if (opts.since) q = q.where('at', '>=', opts.since)
  const events = await q.orderBy('at', 'desc').orderBy('id', 'desc').limit(opts.limit ?? 200).execute()
  const ids = events.map((e) => e.id)
  const deliveries = ids.length
    ? await state.selectFrom('notification_delivery').selectAll().where('event_id', 'in', ids).orderBy('id').execute()
    : []
  return events
    .filter((e) => isRuleName(e.rule))
    .map((e) => ({
      id: Number(e.id),
      rule: e.rule as RuleName,
      title: RULES[e.rule as RuleName].title,
      severity: e.severity as Severity,
      kind: e.kind as StoredAlertEvent['kind'],
      at: e.at,
      value: e.value,
      threshold: e.threshold,
      message: e.message,
      deliveries: deliveries
        .filter((d) => d.event_id === e.id)
        .map((d) => ({ channel: d.channel_name, status: d.status as StoredAlertEvent['deliveries'][number]['status'], attempts: d.attempts, error: d.last_error })),
    }))
}

/** How many alerts of a target are firing now, for the badge on every page. */
export async function countFiring(state: StateDb, targetKey: string): Promise<number> {
  const row = await state
    .selectFrom('alert_state')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('target_key', '=', targetKey)
    .where('state', '=', 'firing')
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** An operator has seen a firing alert; the acknowledgement ends when the alert resolves. */
export async function acknowledgeAlert(state: StateDb, targetKey: string, rule: string, by: string): Promise<void> {
  if (!isRuleName(rule)) throw new AlertError('not_found', `There is no alert rule "${rule}".`)
  const r = await state
    .updateTable('alert_state')
    .set({ acknowledged_by: by, acknowledged_at: new Date() })
    .where('target_key', '=', targetKey)
    .where('rule', '=', rule)
    .where('state', '=', 'firing')
    .executeTakeFirst()
  if (Number(r.numUpdatedRows) === 0) throw new AlertError('conflict', `The alert "${RULES[rule].title}" is not firing.`)
}

/** No notifications of a rule's changes until `until` (still recorded in the history); null lifts it. */
export async function silenceAlert(state: StateDb, targetKey: string, rule: string, until: Date | null): Promise<void> {
  if (!isRuleName(rule)) throw new AlertError('not_found', `There is no alert rule "${rule}".`)
  await state
    .insertInto('alert_state')
    .values({ target_key: targetKey, rule, state: 'ok', evaluated_at: new Date(0), silenced_until: until })
    .onConflict((oc) => oc.columns(['target_key', 'rule']).doUpdateSet({ silenced_until: until }))
    .execute()
}
