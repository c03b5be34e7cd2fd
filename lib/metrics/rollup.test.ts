import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { migrateStateDb } from '../state/migrate-state'
import { METRIC_NAMES, type MetricValues } from './metric-names'
import type { Counters } from './read-target'
import { metricsRetention, pruneMetrics, rollUp } from './rollup'
import { insertSample } from './sample-store'
import { readSeries } from './series'
import { forecastFrom, forecastStorage } from './storage-forecast'
import { saveTableSizes, tableSizeHistory } from './table-sizes'

let state: FreshDatabase
const KEY = 'sys-1/dor'
const OTHER = 'sys-2/dor'
const T0 = Date.parse('2026-11-01T00:00:00Z')
const MIN = 60_000

const counters: Counters = { xactCommit: 0, xactRollback: 0, blksHit: 0, blksRead: 0, idxBlksHit: 0, idxBlksRead: 0, deadlocks: 0, tempBytes: 0, walLsn: 0, statementCalls: 0, statementTotalMs: 0 }

function values(over: Partial<MetricValues>): MetricValues {
  return { ...(Object.fromEntries(METRIC_NAMES.map((n) => [n, null])) as MetricValues), ...over }
}

async function sample(targetKey: string, at: number, over: Partial<MetricValues>) {
  await insertSample(state.db, {
    targetKey,
    takenAt: new Date(at),
    metrics: values(over),
    counters,
    postmasterStartAt: null,
    statsResetAt: null,
    statementsResetAt: null,
    counterReset: null,
    details: {},
    durationMs: 1,
  })
}

async function aggregates(resolution: '5m' | '1h', metric: string, targetKey = KEY) {
  return state.db
    .selectFrom('metric_aggregate')
    .select(['bucket', 'avg', 'min', 'max', 'samples'])
    .where('target_key', '=', targetKey)
    .where('resolution', '=', resolution)
    .where('metric', '=', metric)
    .orderBy('bucket')
    .execute()
}

beforeAll(async () => {
  state = await freshDatabase('metrics_rollup')
  await migrateStateDb(state.db)
  // Two hours of samples every minute for one target: tps = minute number, a gap from 0:30 to 0:45,
  // connections 5 throughout, size growing 1 MB a minute; and one sample of another target.
  for (let m = 0; m < 120; m++) {
    if (m >= 30 && m < 45) continue
    await sample(KEY, T0 + m * MIN, { tps: m, connectionsTotal: 5, dbSizeBytes: 100e6 + m * 1e6, cacheHitRatio: m === 7 ? null : 0.99 })
  }
  await sample(OTHER, T0 + 3 * MIN, { tps: 1000 })
})

afterAll(async () => {
  await state?.drop()
})

describe('rollUp', () => {
  it('aggregates finished 5-minute buckets and finished hours, per target, skipping unknown values', async () => {
    // At 1:02 the 1:00 bucket and the second hour are still in progress.
    const r = await rollUp(state.db, KEY, new Date(T0 + 62 * MIN))
    const five = await aggregates('5m', 'tps')
    // 0:00–0:55 minus the three empty buckets of the gap.
    expect(five.map((b) => (b.bucket.getTime() - T0) / MIN)).toEqual([0, 5, 10, 15, 20, 25, 45, 50, 55])
    expect(five[0]).toMatchObject({ avg: 2, min: 0, max: 4, samples: 5 })
    expect(five[8]).toMatchObject({ avg: 57, min: 55, max: 59, samples: 5 })
    // The null at 0:07 is left out of its bucket, not counted as zero.
    expect((await aggregates('5m', 'cacheHitRatio'))[1]).toMatchObject({ avg: 0.99, samples: 4 })
    const hour = await aggregates('1h', 'tps')
    expect(hour).toHaveLength(1)
    expect(hour[0].samples).toBe(45)
    expect(hour[0].avg).toBeCloseTo((435 + (45 + 59) * 15 / 2) / 45, 9)
    expect(hour[0]).toMatchObject({ min: 0, max: 59 })
    expect(r.fiveMinuteRows).toBeGreaterThan(0)
    // The other target's sample is its own.
    expect(await aggregates('5m', 'tps', OTHER)).toEqual([])
  })

  it('continues from where it stopped, redoing only the newest bucket', async () => {
    const r = await rollUp(state.db, KEY, new Date(T0 + 125 * MIN))
    const five = await aggregates('5m', 'tps')
    expect(five).toHaveLength(9 + 12)
    // Redone: 0:55, plus 12 new buckets, for 4 metrics (cacheHitRatio, connectionsTotal, dbSizeBytes, tps).
    expect(r.fiveMinuteRows).toBe(13 * 4)
    expect(await aggregates('1h', 'tps')).toHaveLength(2)
    // Running it again changes nothing.
    await rollUp(state.db, KEY, new Date(T0 + 125 * MIN))
    expect(await aggregates('5m', 'tps')).toEqual(five)
  })
})

describe('readSeries', () => {
  it('reads raw samples for 1 h with a null where samples are missing', async () => {
    const s = await readSeries(state.db, KEY, ['tps', 'connectionsTotal'], '1h', { now: new Date(T0 + 60 * MIN), intervalSeconds: 60 })
    expect(s.resolution).toBe('raw')
    // 0:00–0:29, a null at 0:30, 0:45–1:00.
    expect(s.times).toHaveLength(30 + 1 + 16)
    const gap = s.times.indexOf(T0 + 30 * MIN)
    expect(s.values.tps![gap]).toBeNull()
    expect(s.values.tps![gap + 1]).toBe(45)
    expect(s.values.connectionsTotal!.filter((v) => v === 5)).toHaveLength(46)
    expect(s.max).toBeUndefined()
  })

  it('reads 5-minute aggregates for 24 h, the gap as a null, and the buckets not rolled up yet from raw samples', async () => {
    await sample(KEY, T0 + 126 * MIN, { tps: 500 })
    const s = await readSeries(state.db, KEY, ['tps'], '24h', { now: new Date(T0 + 127 * MIN) })
    expect(s.resolution).toBe('5m')
    expect(s.stepSeconds).toBe(300)
    const at = (m: number) => s.times.indexOf(T0 + m * MIN)
    expect(s.values.tps![at(0)]).toBe(2)
    expect(s.values.tps![at(30)]).toBeNull()
    expect(at(35)).toBe(-1)
    expect(s.values.tps![at(45)]).toBe(47)
    // The 2:05 bucket is not rolled up yet: it comes from its one raw sample.
    expect(s.values.tps![at(125)]).toBe(500)
    expect(s.max!.tps![at(0)]).toBe(4)
  })
})

describe('forecast', () => {
  it('fits the growth and says in how many days the limit is reached', async () => {
    const f = await forecastStorage(state.db, KEY, 100e6 + 120e6 + 1440e6, new Date(T0 + 120 * MIN))
    expect(f.bytesPerDay! / 1440e6).toBeCloseTo(1, 2)
    expect(f.daysUntilLimit).toBeCloseTo(1, 1)
    expect(f.message).toMatch(/^At this rate \(grows by 1\.3 GB a day\) the database reaches the configured limit of 1\.5 GB in 1\.0 days\.$/)
  })

  it('says so without a limit, without growth, past the limit, or without enough history', () => {
    const flat = [0, 1, 2].map((h) => ({ at: T0 + h * 3600_000, bytes: 5e9 }))
    expect(forecastFrom(flat, 10e9).daysUntilLimit).toBeNull()
    expect(forecastFrom(flat, 10e9).message).toMatch(/does not reach the configured limit/)
    expect(forecastFrom(flat, null).message).toMatch(/set STORAGE_LIMIT_BYTES/)
    expect(forecastFrom(flat, 1e9, new Date(T0)).daysUntilLimit).toBe(0)
    expect(forecastFrom(flat.slice(0, 1), 10e9).message).toMatch(/^Not enough history/)
  })
})

describe('pruneMetrics', () => {
  it('deletes each resolution past its retention and keeps the rest', async () => {
    await saveTableSizes(state.db, KEY, new Date(T0), [{ schema: 'public', table: 't', totalBytes: 10, tableBytes: 8, indexBytes: 2, toastBytes: 0, rowsEstimate: 1 }])
    const retention = metricsRetention({ METRICS_RAW_RETENTION_HOURS: 1, METRICS_5M_RETENTION_DAYS: 1, METRICS_1H_RETENTION_DAYS: 2 })
    // At 1:30: raw before 0:30 goes; 5-minute and hourly rows stay.
    let r = await pruneMetrics(state.db, retention, new Date(T0 + 90 * MIN))
    expect(r.samples).toBe(30 + 1)
    expect(r.fiveMinute).toBe(0)
    const left = await state.db.selectFrom('metric_sample').select((eb) => eb.fn.min('taken_at').as('first')).executeTakeFirstOrThrow()
    expect(left.first).toEqual(new Date(T0 + 45 * MIN))
    // A day and an hour later the 5-minute rows of the first hour are gone, the hourly ones not yet.
    r = await pruneMetrics(state.db, retention, new Date(T0 + 25 * 60 * MIN))
    expect((await aggregates('5m', 'tps')).every((b) => b.bucket.getTime() >= T0 + 60 * MIN)).toBe(true)
    expect(await aggregates('1h', 'tps')).toHaveLength(2)
    expect(await tableSizeHistory(state.db, KEY, new Date(0), new Date(T0 + 1))).toHaveLength(1)
    // After two days and a bit, everything.
    r = await pruneMetrics(state.db, retention, new Date(T0 + 50 * 60 * MIN))
    expect(r.hourly).toBe(2 * 4)
    expect(r.tableSizes).toBe(1)
    expect(await state.db.selectFrom('metric_aggregate').selectAll().execute()).toEqual([])
  })
})
