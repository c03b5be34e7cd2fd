import { type Kysely, sql } from 'kysely'
import type { TargetIdentity } from '../db/target-identity'
import { samplesBetween } from '../metrics/sample-store'
import { forecastStorage } from '../metrics/storage-forecast'
import { flushQueryFailures } from '../db/query-failures'
import { readExtraFacts } from './extra-facts'
import { computeFacts, ERROR_RATE_WINDOW_SECONDS, judge, type SampleValues } from './judge'
import { advance, type AlertState, type LifecyclePosition, OK } from './lifecycle'
import { type EffectiveRule, loadRules } from './rule-settings'
import type { RuleName, Severity } from './rules'
import type { StateDb, StateRow } from '../state/state-db'

/** Where one rule stands for a target, as the page, the CLI and /api/metrics show it. */
export interface AlertStatus {
  rule: RuleName
  title: string
  severity: Severity
  state: AlertState
  message: string
  value: number | null
  threshold: number
  unit: EffectiveRule['unit']
  forSeconds: number
  /** Since when it is pending or firing. */
  since: Date | null
  source: string
  advice: string
  acknowledgedBy: string | null
  silencedUntil: Date | null
  /** Why the rule cannot judge all it should (e.g. sequences the login may not see); null when it can. */
  notice: string | null
}

/** A notified state change. */
export interface AlertEvent {
  id: number
  targetKey: string
  targetDatabase: string
  rule: RuleName
  title: string
  severity: Severity
  kind: 'firing' | 'resolved'
  at: Date
  value: number | null
  threshold: number
  message: string
  advice: string
  /** Silenced by an operator: recorded, not notified. */
  silenced: boolean
}

export interface EvaluateOptions {
  /** STORAGE_LIMIT_BYTES: the storage rules' limit; without it they are off. */
  storageLimitBytes?: number | null
  /** Record the states and events (the sampler); false works out what they would be (the CLI's check). */
  persist?: boolean
  /** The managed database, for the facts a sample does not hold (sequences); without it those rules have nothing to judge. */
  target?: Kysely<any>
}

/** An alert_state row, its state narrowed to the lifecycle's. */
type AlertStateRow = Omit<StateRow<'alert_state'>, 'state'> & { state: AlertState }

/**
 * Judges every enabled rule of a target on a sample and moves each alert along its lifecycle
 * (lib/alerts/lifecycle.ts). With `persist`, one transaction under a per-target lock records the new
 * states and one event per transition: two evaluations at once, or one of an older sample arriving
 * late, cannot notify the same change twice.
 */
export async function evaluateAlerts(
  state: StateDb,
  target: Pick<TargetIdentity, 'key' | 'database'>,
  sample: SampleValues,
  opts: EvaluateOptions = {},
): Promise<{ alerts: AlertStatus[]; events: AlertEvent[] }> {
  const limit = opts.storageLimitBytes ?? null
  // This process's own failed queries count too, not only those other processes wrote already.
  if (opts.persist !== false) await flushQueryFailures(state, target.key).catch(() => undefined)
  const [rules, recent, forecast, extra] = await Promise.all([
    loadRules(state, target.key, { storageLimitBytes: limit }),
    samplesBetween(state, target.key, new Date(sample.takenAt.getTime() - ERROR_RATE_WINDOW_SECONDS * 1000), sample.takenAt),
    limit === null ? null : forecastStorage(state, target.key, limit, sample.takenAt),
    readExtraFacts(state, target.key, sample.takenAt, opts.target),
  ])
  const facts = computeFacts(sample, recent, forecast, extra)
  const at = sample.takenAt

  const work = async (db: StateDb) => {
    const rows = (await db.selectFrom('alert_state').selectAll().where('target_key', '=', target.key).execute()) as AlertStateRow[]
    const byRule = new Map(rows.map((r) => [r.rule, r]))
    const alerts: AlertStatus[] = []
    const events: AlertEvent[] = []
    for (const rule of rules) {
      const row = byRule.get(rule.name)
      // A sample older than the last one judged changes nothing.
      const stale = row && row.evaluated_at.getTime() > at.getTime()
      const prev: LifecyclePosition = row ? { state: row.state, pendingSince: row.pending_since, firingSince: row.firing_since } : OK
      const j = judge(rule, facts)
      const step = stale ? { ...prev, transition: null } : advance(prev, rule.enabled && j.holds, at, rule.forSeconds)
      if (!rule.enabled && step.state === 'ok' && !step.transition) continue
      const silenced = !!row?.silenced_until && row.silenced_until.getTime() > at.getTime()
      const notice = (extra.notices?.[rule.fact as keyof typeof extra.notices] as string | undefined) ?? null
      alerts.push({
        rule: rule.name,
        title: rule.title,
        severity: rule.severity,
        state: step.state,
        message: j.message,
        value: j.value,
        threshold: rule.threshold,
        unit: rule.unit,
        forSeconds: rule.forSeconds,
        since: step.state === 'firing' ? step.firingSince : step.pendingSince,
        source: rule.source,
        advice: rule.advice,
        acknowledgedBy: step.state === 'firing' ? (row?.acknowledged_by ?? null) : null,
        silencedUntil: silenced ? row!.silenced_until : null,
        notice,
      })
      if (opts.persist === false || stale) continue
      // A rule that cannot see what it judges is recorded even while ok, so the Alerts page can say so.
      if (row || step.state !== 'ok' || notice) {
        const values = {
          notice,
          state: step.state,
          pending_since: step.pendingSince,
          firing_since: step.firingSince,
          value: j.value,
          threshold: rule.threshold,
          message: j.message,
          evaluated_at: at,
          // An acknowledgement is of one firing: it ends with it.
          ...(step.transition ? { acknowledged_by: null, acknowledged_at: null } : {}),
        }
        await db
          .insertInto('alert_state')
          .values({ target_key: target.key, rule: rule.name, ...values })
          .onConflict((oc) => oc.columns(['target_key', 'rule']).doUpdateSet(values))
          .execute()
      }
      if (step.transition) {
        const inserted = await db
          .insertInto('alert_event')
          .values({
            target_key: target.key,
            target_database: target.database,
            rule: rule.name,
            severity: rule.severity,
            kind: step.transition,
            at,
            value: j.value,
            threshold: rule.threshold,
            message: j.message,
          })
          .returning('id')
          .executeTakeFirstOrThrow()
        events.push({
          id: Number(inserted.id),
          targetKey: target.key,
          targetDatabase: target.database,
          rule: rule.name,
          title: rule.title,
          severity: rule.severity,
          kind: step.transition,
          at,
          value: j.value,
          threshold: rule.threshold,
          message: j.message,
          advice: rule.advice,
          silenced,
        })
      }
    }
    return { alerts, events }
  }

  if (opts.persist === false) return work(state)
  return state.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${`dbadmin.alerts/${target.key}`}))`.execute(trx)
    return work(trx)
  })
}
