import type { Kysely } from 'kysely'
import type pg from 'pg'
import { readBackupFreshness } from './backup-age'
import { flushQueryFailures, totalQueryFailures } from '../db/query-failures'
import type { MetricValues } from './metric-names'
import { deriveRates } from './rates'
import { readTarget } from './read-target'
import { insertSample, latestSample, type MetricSample, type NewSample } from './sample-store'
import { lastTableSizesAt, readTableSizes, saveTableSizes, TABLE_SIZE_INTERVAL_MS } from './table-sizes'
import type { StateDb } from '../state/state-db'

/** The dashboard's own connection pools, as their owner sees them (node-postgres keeps these counts). */
export interface PoolUse {
  inUse: number
  max: number
  waiting: number
}

/** Sums the use of the dashboard's pools to one figure (they all draw on the same server). */
export function poolUse(pools: pg.Pool[]): PoolUse {
  return pools.reduce(
    (sum, p) => ({ inUse: sum.inUse + p.totalCount - p.idleCount, max: sum.max + (p.options.max ?? 10), waiting: sum.waiting + p.waitingCount }),
    { inUse: 0, max: 0, waiting: 0 },
  )
}

export interface SampleOptions {
  /** The dashboard's pools at the time of the sample; without it those metrics are unknown. */
  pool?: PoolUse
  /** Record the sample in the state database (default); false only reads and computes it. */
  store?: boolean
  /**
   * Table sizes: 'hourly' (default) reads them when the last ones are an hour old; true always,
   * false never.
   */
  tableSizes?: boolean | 'hourly'
  /** A previous sample older than this gives no rates (the sampler was stopped meanwhile). Default 10 minutes. */
  maxGapSeconds?: number
  /**
   * How often the parts whose cost grows with the number of relations are read: the database size
   * and the index hit counters (default every 5 minutes, SLOW_READING_INTERVAL_MS). In between, a
   * sample repeats the last size and index hit ratio read, so every sample stays flat in cost.
   */
  slowEveryMs?: number
}

export const SLOW_READING_INTERVAL_MS = 5 * 60_000

export interface TakenSample extends NewSample {
  id: number | null
  /** How many tables' sizes were read and kept with this sample; null when it was not their hour. */
  tableSizesTaken: number | null
}

/**
 * One health sample of `target`: reads its statistics (lib/metrics/read-target.ts), derives rates
 * against the target's previous sample in `state`, adds the backup freshness and the dashboard's
 * pool use, and stores it. The sample's time is the target's clock, so intervals between samples
 * are measured by one clock even when the state database runs elsewhere.
 */
export async function takeSample(target: Kysely<any>, state: StateDb, targetKey: string, opts: SampleOptions = {}): Promise<TakenSample> {
  // This process's failed queries not yet written belong in this sample, not the next one.
  if (opts.store !== false) await flushQueryFailures(state, targetKey).catch(() => undefined)
  const [latest, backups, dashboardFailures] = await Promise.all([
    latestSample(state, targetKey),
    readBackupFreshness(state, targetKey),
    totalQueryFailures(state, targetKey),
  ])
  const lastSlowAt = latest?.details.slowAt ? Date.parse(latest.details.slowAt) : null
  const slow = lastSlowAt === null || Date.now() - lastSlowAt >= (opts.slowEveryMs ?? SLOW_READING_INTERVAL_MS)
  const started = performance.now()
  const reading = await readTarget(target, { slow })
  const durationMs = performance.now() - started
  const prev = latest && latest.takenAt < reading.at ? latest : null
  // Between slow readings the index counters of the last one are carried, as the base of the next.
  const counters = {
    ...reading.counters,
    dashboardFailures,
    ...(slow ? {} : { idxBlksHit: prev?.counters.idxBlksHit ?? null, idxBlksRead: prev?.counters.idxBlksRead ?? null }),
  }
  const rates = deriveRates(prev && { ...prev, at: prev.takenAt }, { ...reading, counters }, opts.maxGapSeconds ?? 600)
  if (!slow && rates.reset) {
    // Counters carried from before a reset are no base for the next slow reading.
    counters.idxBlksHit = null
    counters.idxBlksRead = null
  }
  const c = reading.connections
  const metrics: MetricValues = {
    connectionsTotal: c.total,
    connectionsActive: c.active,
    connectionsIdle: c.idle,
    connectionsIdleInTransaction: c.idleInTransaction,
    connectionsOther: c.other,
    connectionsMax: c.max,
    connectionUse: c.max > 0 ? c.total / c.max : null,
    dashboardPoolInUse: opts.pool?.inUse ?? null,
    dashboardPoolMax: opts.pool?.max ?? null,
    dashboardPoolWaiting: opts.pool?.waiting ?? null,
    tps: rates.tps,
    commitsPerSecond: rates.commitsPerSecond,
    rollbacksPerSecond: rates.rollbacksPerSecond,
    cacheHitRatio: rates.cacheHitRatio,
    indexHitRatio: slow ? rates.indexHitRatio : rates.reset ? null : (prev?.metrics.indexHitRatio ?? null),
    dbSizeBytes: slow ? reading.dbSizeBytes : (prev?.metrics.dbSizeBytes ?? null),
    longestQuerySeconds: reading.longestQuery?.seconds ?? 0,
    longestIdleInTransactionSeconds: reading.longestIdleInTransactionSeconds ?? 0,
    blockedSessions: reading.blockedSessions,
    deadlocks: rates.deadlocks,
    tempBytesPerSecond: rates.tempBytesPerSecond,
    walBytesPerSecond: rates.walBytesPerSecond,
    replicationLagSeconds: reading.replicationLagSeconds,
    replicationLagBytes: reading.replicationLagBytes,
    statementCallsPerSecond: rates.statementCallsPerSecond,
    statementMeanMs: rates.statementMeanMs,
    dashboardFailedQueries: rates.dashboardFailedQueries,
    xidAge: reading.xidAge,
    backupAgeSeconds: backups.ageSeconds,
    lastBackupFailed: backups.lastFailed ? 1 : 0,
    intervalSeconds: rates.intervalSeconds,
  }
  const sample: NewSample = {
    targetKey,
    takenAt: reading.at,
    metrics,
    counters,
    postmasterStartAt: reading.postmasterStartAt,
    statsResetAt: reading.statsResetAt,
    statementsResetAt: reading.statementsResetAt,
    counterReset: rates.reset,
    details: { longestQuery: reading.longestQuery, slowAt: slow ? reading.at.toISOString() : (prev?.details.slowAt ?? latest?.details.slowAt) },
    durationMs,
  }
  if (opts.store === false) return { ...sample, id: null, tableSizesTaken: null }
  const stored: MetricSample = await insertSample(state, sample)
  let tableSizesTaken: number | null = null
  const wantSizes = opts.tableSizes ?? 'hourly'
  if (wantSizes === true || (wantSizes === 'hourly' && (await tableSizesDue(state, targetKey, reading.at)))) {
    const sizes = await readTableSizes(target)
    await saveTableSizes(state, targetKey, reading.at, sizes)
    tableSizesTaken = sizes.length
  }
  return { ...stored, tableSizesTaken }
}

async function tableSizesDue(state: StateDb, targetKey: string, at: Date): Promise<boolean> {
  const last = await lastTableSizesAt(state, targetKey)
  return !last || at.getTime() - last.getTime() >= TABLE_SIZE_INTERVAL_MS
}
