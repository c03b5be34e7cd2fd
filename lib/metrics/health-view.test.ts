import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { migrateStateDb } from '../state/migrate-state'
import { HEALTH_CHART_BUCKETS, HEALTH_METRICS, readHealthView } from './health-view'

let state: FreshDatabase
const KEY = '7000000000000000001/dor'
const NOW = new Date('2026-12-03T12:00:00Z')
const at = (minutesAgo: number) => new Date(NOW.getTime() - minutesAgo * 60_000)

beforeAll(async () => {
  state = await freshDatabase('health_view')
  await migrateStateDb(state.db)
  // Samples every 15 s for the last 10 minutes, with one minute missing (a stopped sampler) and a counter reset.
  for (let s = 600; s >= 0; s -= 15) {
    if (s <= 420 && s > 360) continue
    const reset = s === 300
    const metrics = { connectionsActive: 3, tps: reset ? null : 12.345678, dbSizeBytes: 10_000_000 + (600 - s) * 1000 }
    await sql`insert into metric_sample (target_key, taken_at, metrics, counters, counter_reset) values (${KEY}, ${new Date(NOW.getTime() - s * 1000)}, ${JSON.stringify(metrics)}, '{}', ${reset ? 'stats_reset' : null})`.execute(state.db)
  }
  await sql`insert into metric_sample (target_key, taken_at, metrics, counters) values ('other/dor', ${at(1)}, '{"connectionsActive": 99}', '{}')`.execute(state.db)
  await sql`insert into alert_event (target_key, target_database, rule, severity, kind, at, message) values
    (${KEY}, 'dor', 'longRunningQuery', 'warning', 'firing', ${at(3)}, 'A query ran for 41 s'),
    (${KEY}, 'dor', 'longRunningQuery', 'warning', 'resolved', ${at(2)}, 'resolved'),
    (${KEY}, 'dor', 'longRunningQuery', 'warning', 'firing', ${at(120)}, 'too old for the range')`.execute(state.db)
  await sql`insert into migration_run (kind, status, target_database, target_key, source, started_by, started_at, finished_at) values
    ('apply', 'succeeded', 'dor', ${KEY}, 'dashboard', 'admin@x', ${at(9)}, ${at(8)}),
    ('apply', 'failed', 'dor', ${KEY}, 'dashboard', 'admin@x', ${at(7)}, ${at(7)}),
    ('dry_run', 'succeeded', 'dor', ${KEY}, 'dashboard', 'admin@x', ${at(6)}, ${at(6)})`.execute(state.db)
})
afterAll(async () => {
  await state?.drop()
})

describe('readHealthView', () => {
  it('draws the target’s samples with gaps where the sampler stopped or counters reset, rounded, with its events as markers', async () => {
    const view = await readHealthView(state.db, KEY, '1h', { now: NOW, intervalSeconds: 15, storageLimitBytes: null })
    expect(view.series).toMatchObject({ range: '1h', resolution: 'raw', stepSeconds: 15 })
    expect(Object.keys(view.series.values).sort()).toEqual([...HEALTH_METRICS].sort())
    const { times, values } = view.series
    // 41 ticks, 4 missing, plus one null row marking the silence.
    expect(times).toHaveLength(41 - 4 + 1)
    const gapAt = times.findIndex((t, i) => i > 0 && t - times[i - 1] === 15_000 && values.connectionsActive[i] === null)
    expect(gapAt).toBeGreaterThan(0)
    expect(values.connectionsActive.filter((v) => v === null)).toHaveLength(1)
    expect(values.tps.filter((v) => v === null)).toHaveLength(2)
    expect(values.tps.find((v) => v !== null)).toBe(12.35)
    expect(values.connectionsActive).not.toContain(99)
    // Never a zero for what was not measured.
    expect(values.replicationLagSeconds.every((v) => v === null)).toBe(true)
    expect(view.latestAt).toEqual(NOW)
    expect(view.events.map((e) => [e.kind, e.label, e.bad])).toEqual([
      ['migration', expect.stringMatching(/^Migrations applied \(run #\d+\)$/), false],
      ['alert', 'Alert firing: A query ran for 41 s', true],
    ])
    expect(view.forecast.message).toBe('Not enough history yet to see a trend (at least an hour of samples).')
  })

  it('reads aggregates for the long ranges, and nothing for a target without samples', async () => {
    const day = await readHealthView(state.db, KEY, '24h', { now: NOW, intervalSeconds: 15, storageLimitBytes: null })
    expect(day.series).toMatchObject({ resolution: '5m', stepSeconds: 300 })
    expect(day.series.values.connectionsActive.filter((v) => v !== null).length).toBeGreaterThanOrEqual(2)
    const year = await readHealthView(state.db, KEY, '1y', { now: NOW, intervalSeconds: 15, storageLimitBytes: null })
    expect(year.series).toMatchObject({ resolution: '1h', stepSeconds: 3600 })
    const none = await readHealthView(state.db, 'nobody/dor', '1h', { now: NOW, intervalSeconds: 15, storageLimitBytes: null })
    expect(none.latestAt).toBeNull()
    expect(none.series.times).toEqual([])
    expect(none.events).toEqual([])
  })

  it('draws 30 days from the hourly aggregates, at most two points a bucket, with a spike only a bucket’s max held', async () => {
    const key = 'month/dor'
    await sql`insert into metric_aggregate (target_key, resolution, bucket, metric, avg, min, max, samples)
      select ${key}, r, b, 'connectionsActive', 10, 8, case when b = ${at(12 * 24 * 60)} then 250 else 12 end, 240
      from (values ('5m', interval '5 minutes'), ('1h', interval '1 hour')) as t(r, step),
           generate_series(${at(31 * 24 * 60)}::timestamptz, ${at(60)}::timestamptz, step) b`.execute(state.db)
    const month = await readHealthView(state.db, key, '30d', { now: NOW, intervalSeconds: 15, storageLimitBytes: null })
    expect(month.series).toMatchObject({ resolution: '1h', stepSeconds: 3600 })
    expect(month.series.times.length).toBeLessThanOrEqual(2 * HEALTH_CHART_BUCKETS + 2)
    expect(Math.max(...month.series.values.connectionsActive.filter((v) => v !== null))).toBe(250)
    expect(Math.min(...month.series.values.connectionsActive.filter((v) => v !== null))).toBe(8)
    // Seven days still come from the 5-minute rows (2,016 of them), drawn as 300 buckets.
    const week = await readHealthView(state.db, key, '7d', { now: NOW, intervalSeconds: 15, storageLimitBytes: null })
    expect(week.series).toMatchObject({ resolution: '5m' })
    expect(week.series.times.length).toBeLessThanOrEqual(2 * HEALTH_CHART_BUCKETS + 2)
  })
})
