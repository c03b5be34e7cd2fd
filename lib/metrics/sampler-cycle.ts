import type { Kysely } from 'kysely'
import { listChannels } from '../alerts/channels'
import { type AlertEvent, type AlertStatus, evaluateAlerts } from '../alerts/evaluate-alerts'
import { type DeliveryOptions, type DeliveryResult, notifyEvents } from '../alerts/notify'
import type { AppConfig } from '../config'
import type { TargetIdentity } from '../db/target-identity'
import { pruneQueryStats, type QueryStatsResult, queryStatsDue, sampleQueryStats } from './query-stats'
import { metricsRetention, type PruneResult, pruneMetrics, type RollupResult, rollUp } from './rollup'
import { type PoolUse, type TakenSample, takeSample } from './take-sample'
import type { StateDb } from '../state/state-db'

export type SamplerConfig = Pick<
  AppConfig,
  | 'METRICS_RAW_RETENTION_HOURS'
  | 'METRICS_5M_RETENTION_DAYS'
  | 'METRICS_1H_RETENTION_DAYS'
  | 'STORAGE_LIMIT_BYTES'
  | 'SMTP_URL'
  | 'ALERT_EMAIL_FROM'
  | 'ALERT_EMAIL_TO'
  | 'ALERT_WEBHOOK_URL'
  | 'ALERT_WEBHOOK_FORMAT'
>

export interface CycleResult {
  sample: TakenSample
  alerts: AlertStatus[]
  events: AlertEvent[]
  deliveries: DeliveryResult[]
  rollup: RollupResult
  /** Pruning runs with the hourly table sizes; null in the other samples. */
  pruned: (PruneResult & { queryStats: number }) | null
  /** The query-stats history's reading, on the first sample of each 5 minutes; null in the others and without pg_stat_statements. */
  queryStats: QueryStatsResult | null
}

/**
 * What the sampler job does each interval (the pg-boss schedule of issue 13 calls this): one sample,
 * the alert rules on it, notifications of what changed, the rollups, every 5 minutes the query-stats
 * deltas (lib/metrics/query-stats.ts), and once an hour the pruning.
 */
export async function runSamplerCycle(
  target: Kysely<any>,
  state: StateDb,
  identity: Pick<TargetIdentity, 'key' | 'database'>,
  config: SamplerConfig,
  opts: { pool?: PoolUse; delivery?: Omit<DeliveryOptions, 'smtpUrl' | 'from'> } = {},
): Promise<CycleResult> {
  const sample = await takeSample(target, state, identity.key, { pool: opts.pool })
  const { alerts, events } = await evaluateAlerts(state, identity, sample, { storageLimitBytes: config.STORAGE_LIMIT_BYTES ?? null, target })
  const deliveries = events.length
    ? await notifyEvents(state, events, await listChannels(state, identity.key, config), { ...opts.delivery, smtpUrl: config.SMTP_URL, from: config.ALERT_EMAIL_FROM })
    : []
  const rollup = await rollUp(state, identity.key, sample.takenAt)
  const queryStats = (await queryStatsDue(state, identity.key, sample.takenAt)) ? await sampleQueryStats(target, state, identity.key) : null
  let pruned: CycleResult['pruned'] = null
  if (sample.tableSizesTaken !== null) {
    const retention = metricsRetention(config)
    pruned = { ...(await pruneMetrics(state, retention, sample.takenAt)), queryStats: await pruneQueryStats(state, retention.fiveMinuteMs, sample.takenAt) }
  }
  return { sample, alerts, events, deliveries, rollup, pruned, queryStats }
}
