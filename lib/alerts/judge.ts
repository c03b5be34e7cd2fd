import { formatBytes, formatDuration } from '../format/units'
import type { MetricValues } from '../metrics/metric-names'
import type { StorageForecast } from '../metrics/storage-forecast'
import type { ExtraFacts } from './extra-facts'
import type { EffectiveRule } from './rule-settings'
import type { FactName } from './rules'

export type Facts = Record<FactName, number | null>

/** Fewer transactions than this in five minutes say nothing about an error rate (1 of 2 is not 50 %). */
export const MIN_TRANSACTIONS_FOR_ERROR_RATE = 20
export const ERROR_RATE_WINDOW_SECONDS = 300

/** A sample's values and when it was taken, as far as the facts need them. */
export interface SampleValues {
  takenAt: Date
  metrics: MetricValues
}

/**
 * The numbers the rules judge, from the latest sample, the samples of the five minutes before it
 * (for the rollback ratio, weighted by each sample's interval) and the storage forecast.
 */
export function computeFacts(latest: SampleValues, recent: SampleValues[], forecast: StorageForecast | null, extra: Partial<ExtraFacts> = {}): Facts {
  const m = latest.metrics
  const since = latest.takenAt.getTime() - ERROR_RATE_WINDOW_SECONDS * 1000
  let rollbacks = 0
  let transactions = 0
  for (const s of [...recent.filter((r) => r.takenAt.getTime() > since && r.takenAt < latest.takenAt), latest]) {
    const secs = s.metrics.intervalSeconds
    if (secs === null || s.metrics.tps === null || s.metrics.rollbacksPerSecond === null) continue
    rollbacks += s.metrics.rollbacksPerSecond * secs
    transactions += s.metrics.tps * secs
  }
  return {
    connectionUse: m.connectionUse,
    dashboardPoolWaiting: m.dashboardPoolWaiting,
    longestQuerySeconds: m.longestQuerySeconds,
    rollbackRatio5m: transactions >= MIN_TRANSACTIONS_FOR_ERROR_RATE ? rollbacks / transactions : null,
    dbSizeBytes: m.dbSizeBytes,
    daysUntilStorageLimit: forecast?.daysUntilLimit ?? null,
    lastBackupFailed: m.lastBackupFailed,
    backupAgeHours: m.backupAgeSeconds === null ? null : m.backupAgeSeconds / 3600,
    cacheHitRatio: m.cacheHitRatio,
    longestIdleInTransactionSeconds: m.longestIdleInTransactionSeconds,
    xidAge: m.xidAge,
    replicationLagSeconds: m.replicationLagSeconds,
    blockedSessions: m.blockedSessions,
    sequenceUse: extra.sequenceUse ?? null,
    newIntegrityFindings: extra.newIntegrityFindings ?? null,
    dashboardFailedQueries: extra.dashboardFailedQueries ?? null,
  }
}

export interface Judgement {
  holds: boolean
  value: number | null
  /** One sentence with the value and the threshold in their units. */
  message: string
}

/** Whether a rule's condition holds for these facts. */
export function judge(rule: EffectiveRule, facts: Facts): Judgement {
  const value = facts[rule.fact]
  if (value === null) {
    const holds = rule.whenUnknown === 'holds'
    return { holds, value, message: holds ? unknownMessage(rule) : `${rule.title}: nothing to judge now.` }
  }
  const holds = rule.direction === 'above' ? value >= rule.threshold : value < rule.threshold
  const word = rule.direction === 'above' ? (holds ? 'at or above' : 'below') : holds ? 'below' : 'at or above'
  return { holds, value, message: `${rule.title}: ${show(rule, value)} (${word} ${show(rule, rule.threshold)}).` }
}

function unknownMessage(rule: EffectiveRule): string {
  return rule.fact === 'backupAgeHours' ? 'No successful full backup of this database is in the backup catalogue.' : `${rule.title}: unknown.`
}

/** A value in the rule's unit, as people read it. */
export function show(rule: Pick<EffectiveRule, 'unit'>, v: number): string {
  switch (rule.unit) {
    case 'ratio':
      return `${(v * 100).toFixed(v >= 0.995 && v < 1 ? 2 : 1)} %`
    case 'seconds':
      return formatDuration(v)
    case 'bytes':
      return formatBytes(v)
    case 'days':
      return `${v.toFixed(1)} days`
    case 'hours':
      return `${v.toFixed(1)} h`
    case 'flag':
      return v >= 1 ? 'yes' : 'no'
    default:
      return Math.round(v).toLocaleString('en-US')
  }
}
