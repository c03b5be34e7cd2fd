import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { freshStateDb } from '../../test/state-db'
import { startTestJobs } from '../../test/test-jobs'
import type { JobSystem } from '../jobs/job-system'
import { getJob, type JobRow, listJobs } from '../jobs/job-store'
import { listSchedules, saveSchedule } from '../jobs/schedules'
import { DEFAULT_SAMPLER_SETTINGS } from './sampler-settings'

let target: FreshDatabase
let state: FreshDatabase
const systems: JobSystem[] = []
const INTERVAL = 5

beforeAll(async () => {
  ;[target, state] = await Promise.all([freshDatabase('sampler_t'), freshStateDb()])
  await sql`create table public.t (id int primary key)`.execute(target.db)
})
afterAll(async () => {
  for (const s of systems) await s.stop(5_000)
  await target?.drop()
  await state?.drop()
})

const sampler = { sampler: { ...DEFAULT_SAMPLER_SETTINGS, intervalSeconds: INTERVAL } }

async function until<T>(ms: number, attempt: () => Promise<T | null | undefined | false>): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await attempt()
    if (v) return v
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 250))
  }
}

describe('the health sampler job', () => {
  it('with two workers on one state database takes one sample per tick, and prunes through the job', async () => {
    // Two instances of the dashboard sharing the state database, both running jobs and cron monitors.
    systems.push(await startTestJobs(target, state, {}, sampler), await startTestJobs(target, state, {}, sampler))
    const [one] = systems
    const key = one.services.target.key
    // What the pruning must remove: a sample, an aggregate and a finished sampler job past their retention.
    const old = new Date(Date.now() - 3 * 86_400_000)
    await sql`insert into metric_sample (target_key, taken_at, metrics, counters) values (${key}, ${old}, '{}', '{}')`.execute(state.db)
    await sql`insert into metric_aggregate (target_key, resolution, bucket, metric, avg, min, max, samples) values (${key}, '5m', ${new Date(Date.now() - 40 * 86_400_000)}, 'tps', 1, 1, 1, 1)`.execute(state.db)
    const { rows: oldJob } = await sql<{ id: string }>`
      insert into job (kind, queue, target_key, target_database, subject, trigger, started_by, state, created_at, finished_at)
      values ('metrics.sample', 'metrics-sample', ${key}, 'x', 'x', 'schedule', 'schedule', 'succeeded', ${old}, ${old}) returning id
    `.execute(state.db)

    // Early in a minute, so that the job's minute has most of its ticks ahead.
    while (new Date().getUTCSeconds() > 35) await new Promise((r) => setTimeout(r, 500))
    await saveSchedule(one, 'metrics.sample', { cron: '* * * * *', timezone: 'UTC', enabled: true }, 'admin@test.local')
    const [listed] = (await listSchedules(state.db, one.kinds, key, {})).filter((s) => s.kind === 'metrics.sample')
    expect(listed).toMatchObject({ cron: '* * * * *', enabled: true, setBy: 'admin@test.local' })

    const job = await until<JobRow>(90_000, async () => {
      const [j] = (await listJobs(state.db, { targetKey: key, kinds: ['metrics.sample'] })).filter((x) => x.trigger === 'schedule' && x.id !== Number(oldJob[0].id))
      return j && !['queued', 'running'].includes(j.state) ? j : null
    })
    // No second minute's job may overlap with this one.
    await saveSchedule(one, 'metrics.sample', { cron: '* * * * *', timezone: 'UTC', enabled: false }, 'admin@test.local')
    expect(job).toMatchObject({ state: 'succeeded', startedBy: 'schedule', attempts: 1 })
    const result = job.result as { taken: number; skipped: number; ticks: string[]; pruned: { samples: number; fiveMinute: number } | null }
    expect(result.taken).toBeGreaterThanOrEqual(4)
    expect(result.taken + result.skipped).toBe(result.ticks.length)

    // Every sample of that minute sits on its own tick: none twice, one per tick the job had.
    const { rows } = await sql<{ taken_at: Date }>`
      select taken_at from metric_sample where target_key = ${key} and taken_at >= ${job.startedAt} and taken_at <= ${job.finishedAt} order by taken_at
    `.execute(state.db)
    expect(rows).toHaveLength(result.taken)
    const ticks = rows.map((r) => Math.round(r.taken_at.getTime() / (INTERVAL * 1000)))
    expect(new Set(ticks).size).toBe(ticks.length)
    for (let i = 1; i < rows.length; i++) expect(rows[i].taken_at.getTime() - rows[i - 1].taken_at.getTime()).toBeGreaterThan(INTERVAL * 500)
    // Only one sampler job ran in that minute, though two cron monitors and two workers were there.
    const { rows: perMinute } = await sql<{ n: number }>`
      select count(*)::int as n from job where kind = 'metrics.sample' and target_key = ${key} and trigger = 'schedule'
        and date_trunc('minute', created_at) = date_trunc('minute', ${job.createdAt}::timestamptz)
    `.execute(state.db)
    expect(perMinute[0].n).toBe(1)

    // The first sample took the table sizes, and with them the pruning ran.
    expect(result.pruned).toMatchObject({ samples: 1, fiveMinute: 1 })
    expect((await sql<{ n: number }>`select count(*)::int as n from metric_sample where taken_at < now() - interval '2 days'`.execute(state.db)).rows[0].n).toBe(0)
    expect((await sql<{ n: number }>`select count(*)::int as n from table_size_sample where target_key = ${key}`.execute(state.db)).rows[0].n).toBeGreaterThanOrEqual(1)
    expect(await getJob(state.db, Number(oldJob[0].id))).toBeNull()
    expect(job.message).toMatch(/^\d+ of \d+ samples taken.*; pruned 1 samples, 1 aggregates, 0 table sizes\.$/)
  }, 150_000)
})
