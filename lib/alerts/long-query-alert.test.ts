import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppSessions, waitFor } from '../../test/app-sessions'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { freshStateDb } from '../../test/state-db'
import { startTestJobs } from '../../test/test-jobs'
import type { JobSystem } from '../jobs/job-system'
import { saveSchedule } from '../jobs/schedules'
import { DEFAULT_SAMPLER_SETTINGS } from '../metrics/sampler-settings'
import { loadRules } from './rule-settings'

/**
 * Issue 15's "a pg_sleep(40) session makes the long-running rule fire within two sample intervals
 * and resolve after it ends", end to end: the default rule (30 s) judged by the real scheduled
 * sampler job. Only the sample interval is shortened, through its configuration
 * (METRICS_INTERVAL_SECONDS), so that the test lasts one sleep rather than minutes.
 */
const INTERVAL = 5

let target: FreshDatabase
let state: FreshDatabase
let app: AppSessions
let jobs: JobSystem | null = null

beforeAll(async () => {
  ;[target, state] = await Promise.all([freshDatabase('long_query_t'), freshStateDb()])
  // The sleep must not land in other files' pg_stat_statements readings.
  await sql`alter database ${sql.id(new URL(target.url).pathname.slice(1))} set pg_stat_statements.track = 'none'`.execute(target.db)
  app = new AppSessions(target.url)
})
afterAll(async () => {
  await jobs?.stop(5_000)
  await app?.closeAll()
  await Promise.all([target?.drop(), state?.drop()])
})

const seconds = (a: Date, b: Date) => (a.getTime() - b.getTime()) / 1000

describe('the long-running query rule under the scheduled sampler', () => {
  it('fires within two sample intervals of a pg_sleep(40) passing 30 s, once, and resolves after the session ends', async () => {
    jobs = await startTestJobs(target, state, {}, { sampler: { ...DEFAULT_SAMPLER_SETTINGS, intervalSeconds: INTERVAL } })
    const key = jobs.services.target.key
    const rule = (await loadRules(state.db, key)).find((r) => r.name === 'longRunningQuery')!
    expect(rule).toMatchObject({ threshold: 30, forSeconds: 0, enabled: true })

    await saveSchedule(jobs, 'metrics.sample', { cron: '* * * * *', timezone: 'UTC', enabled: true }, 'admin@test.local')
    // The sampler is running: a sample of its own has been taken.
    await waitFor(async () => (await sql<{ n: number }>`select count(*)::int as n from metric_sample where target_key = ${key}`.execute(state.db)).rows[0].n > 0, 90_000, 'the first scheduled sample')

    const sleeper = await app.open('dor-app')
    const sleeping = app.start(sleeper, 'select pg_sleep(40)')
    const started = await waitFor(async () => {
      const { rows } = await sql<{ query_start: Date }>`select query_start from pg_stat_activity where pid = ${sleeper.pid} and state = 'active'`.execute(target.db)
      return rows[0]?.query_start
    })

    const firing = await waitFor(async () => {
      const row = await state.db.selectFrom('alert_state').selectAll().where('target_key', '=', key).where('rule', '=', 'longRunningQuery').executeTakeFirst()
      return row?.state === 'firing' && row
    }, 60_000, 'the rule firing')
    // Judged on a sample taken once the query had run 30 s, and no later than two intervals after (both times are the target's clock).
    const after = seconds(firing.firing_since!, started)
    expect(after).toBeGreaterThanOrEqual(30)
    expect(after).toBeLessThanOrEqual(30 + 2 * INTERVAL)

    expect(await sleeping).toEqual({ ok: true })
    const ended = new Date()
    const resolved = await waitFor(async () => {
      const row = await state.db.selectFrom('alert_state').selectAll().where('target_key', '=', key).where('rule', '=', 'longRunningQuery').executeTakeFirst()
      return row?.state === 'ok' && row
    }, 3 * INTERVAL * 1000, 'the rule resolved')
    expect(resolved.evaluated_at.getTime()).toBeGreaterThanOrEqual(started.getTime() + 40_000)
    await saveSchedule(jobs, 'metrics.sample', { cron: '* * * * *', timezone: 'UTC', enabled: false }, 'admin@test.local')

    // One event for each change, whatever the number of samples in between.
    const events = await state.db.selectFrom('alert_event').select(['kind', 'at', 'value']).where('target_key', '=', key).where('rule', '=', 'longRunningQuery').orderBy('id').execute()
    expect(events.map((e) => e.kind)).toEqual(['firing', 'resolved'])
    expect(Number(events[0].value)).toBeGreaterThanOrEqual(30)
    expect(seconds(events[1].at, started)).toBeGreaterThanOrEqual(40)
    expect(Math.abs(seconds(ended, events[1].at))).toBeLessThan(2 * INTERVAL + 5)
  }, 180_000)
})
