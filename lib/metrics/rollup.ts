import { sql } from 'kysely'
import type { AppConfig } from '../config'
import type { StateDb } from '../state/state-db'

const HOUR = 3600_000
const DAY = 24 * HOUR

/** How long each resolution is kept, in milliseconds. */
export interface MetricsRetention {
  rawMs: number
  fiveMinuteMs: number
  hourlyMs: number
}

/** From METRICS_RAW_RETENTION_HOURS, METRICS_5M_RETENTION_DAYS and METRICS_1H_RETENTION_DAYS (48 h, 30 d, 1 y). */
export function metricsRetention(config: Pick<AppConfig, 'METRICS_RAW_RETENTION_HOURS' | 'METRICS_5M_RETENTION_DAYS' | 'METRICS_1H_RETENTION_DAYS'>): MetricsRetention {
  return {
    rawMs: config.METRICS_RAW_RETENTION_HOURS * HOUR,
    fiveMinuteMs: config.METRICS_5M_RETENTION_DAYS * DAY,
    hourlyMs: config.METRICS_1H_RETENTION_DAYS * DAY,
  }
}

// Buckets are aligned to this instant, so that every instance and every run cuts the same buckets.
const ORIGIN = sql`timestamptz '2000-01-01 00:00:00+00'`

export interface RollupResult {
  fiveMinuteRows: number
  hourlyRows: number
}

/**
 * Aggregates a target's finished buckets: raw samples into 5-minute rows, 5-minute rows into
 * hourly ones (weighted by their sample counts). It starts from the newest bucket already rolled
 * up, which it redoes (a late sample may have joined it), so each run touches only a few buckets;
 * a bucket still in progress at `now` waits for the next run.
 */
export async function rollUp(state: StateDb, targetKey: string, now: Date = new Date()): Promise<RollupResult> {
  const five = await sql`
    insert into metric_aggregate (target_key, resolution, bucket, metric, avg, min, max, samples)
    select s.target_key, '5m', date_bin('5 minutes', s.taken_at, ${ORIGIN}) as bucket, m.key,
           avg(m.value::float8), min(m.value::float8), max(m.value::float8), count(*)::int
    from metric_sample s, jsonb_each(s.metrics) m
    where s.target_key = ${targetKey}
      and jsonb_typeof(m.value) = 'number'
      and s.taken_at >= coalesce((select max(bucket) from metric_aggregate where target_key = ${targetKey} and resolution = '5m'), '-infinity')
      and s.taken_at < date_bin('5 minutes', ${now}::timestamptz, ${ORIGIN})
    group by 1, 3, 4
    on conflict (target_key, resolution, metric, bucket)
      do update set avg = excluded.avg, min = excluded.min, max = excluded.max, samples = excluded.samples
  `.execute(state)
  const hourly = await sql`
    insert into metric_aggregate (target_key, resolution, bucket, metric, avg, min, max, samples)
    select a.target_key, '1h', date_bin('1 hour', a.bucket, ${ORIGIN}) as hour, a.metric,
           sum(a.avg * a.samples) / sum(a.samples), min(a.min), max(a.max), sum(a.samples)::int
    from metric_aggregate a
    where a.target_key = ${targetKey} and a.resolution = '5m'
      and a.bucket >= coalesce((select max(bucket) from metric_aggregate where target_key = ${targetKey} and resolution = '1h'), '-infinity')
      and a.bucket < date_bin('1 hour', ${now}::timestamptz, ${ORIGIN})
    group by 1, 3, 4
    on conflict (target_key, resolution, metric, bucket)
      do update set avg = excluded.avg, min = excluded.min, max = excluded.max, samples = excluded.samples
  `.execute(state)
  return { fiveMinuteRows: Number(five.numAffectedRows ?? 0), hourlyRows: Number(hourly.numAffectedRows ?? 0) }
}

export interface PruneResult {
  samples: number
  fiveMinute: number
  hourly: number
  tableSizes: number
}

/**
 * Deletes what is past its retention, for every target: raw samples, 5-minute and hourly
 * aggregates, and table sizes (kept as long as the hourly aggregates).
 */
export async function pruneMetrics(state: StateDb, retention: MetricsRetention, now: Date = new Date()): Promise<PruneResult> {
  const before = (ms: number) => new Date(now.getTime() - ms)
  const samples = await state.deleteFrom('metric_sample').where('taken_at', '<', before(retention.rawMs)).executeTakeFirst()
  const five = await state
    .deleteFrom('metric_aggregate')
    .where('resolution', '=', '5m')
    .where('bucket', '<', before(retention.fiveMinuteMs))
    .executeTakeFirst()
  const hourly = await state
    .deleteFrom('metric_aggregate')
    .where('resolution', '=', '1h')
    .where('bucket', '<', before(retention.hourlyMs))
    .executeTakeFirst()
  const sizes = await state.deleteFrom('table_size_sample').where('taken_at', '<', before(retention.hourlyMs)).executeTakeFirst()
  return {
    samples: Number(samples.numDeletedRows),
    fiveMinute: Number(five.numDeletedRows),
    hourly: Number(hourly.numDeletedRows),
    tableSizes: Number(sizes.numDeletedRows),
  }
}
