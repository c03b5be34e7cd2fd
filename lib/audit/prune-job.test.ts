import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { freshStateDb } from '../../test/state-db'
import { otherPool, startTestJobs, testJobServices } from '../../test/test-jobs'
import type { JobSystem } from '../jobs/job-system'
import { getJob, type JobRow, listJobs } from '../jobs/job-store'
import { jobView } from '../jobs/job-view'
import { configuredSchedules } from '../jobs/schedule-config'
import { listSchedules, saveSchedule, syncSchedules } from '../jobs/schedules'
import { listAudit } from './audit-log'

let target: FreshDatabase
let state: FreshDatabase
let jobs: JobSystem

beforeAll(async () => {
  ;[target, state] = await Promise.all([freshDatabase('audit_prune_job'), freshStateDb()])
  jobs = await startTestJobs(target, state, { workKinds: ['audit.prune'] }, { settings: { ...(await testJobServices(target, state)).settings, auditRetentionDays: 30 } })
})
afterAll(async () => {
  await jobs?.stop(5_000)
  await target?.drop()
  await state?.drop()
})

async function recordsAged(daysAgo: number[]) {
  await state.db
    .insertInto('audit_log')
    .values(daysAgo.map((d) => ({ at: sql`now() - make_interval(days => ${d})`, action: 'test.aged', result: 'ok', code: 'ok', message: `${d} days old` })))
    .execute()
}
async function agedLeft(): Promise<string[]> {
  const rows = await listAudit(state.db, { action: 'test.aged', limit: 500 })
  return rows.map((r) => r.message ?? '').sort()
}
async function until(id: number, ms = 30_000): Promise<JobRow> {
  const deadline = Date.now() + ms
  for (;;) {
    const j = await getJob(state.db, id)
    if (j && !['queued', 'running'].includes(j.state)) return j
    if (Date.now() > deadline) throw new Error(`job #${id} did not finish: ${JSON.stringify(j)}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('the audit prune job', () => {
  it('applies the configured retention, is audited as who queued it, and refuses bad input', async () => {
    await recordsAged([1, 29, 31, 400])
    const job = await jobs.enqueue('audit.prune', {}, { startedBy: 'admin@test.local', trigger: 'manual' })
    const done = await until(job.id)
    expect(done).toMatchObject({ state: 'succeeded', message: expect.stringMatching(/^Deleted 2 audit records from before .* \(older than 30 days\)\.$/), result: { deleted: 2, days: 30 } })
    expect(await agedLeft()).toEqual(['1 days old', '29 days old'])
    expect((await listAudit(state.db, { action: 'audit.prune', limit: 1 }))[0]).toMatchObject({ actorEmail: 'admin@test.local', result: 'ok', input: { days: 30, job: job.id } })

    await expect(jobs.enqueue('audit.prune', { days: 0 }, { startedBy: 'admin@test.local', trigger: 'manual' })).rejects.toThrow()
    await expect(jobs.enqueue('audit.prune', { days: 3, older: true }, { startedBy: 'admin@test.local', trigger: 'manual' })).rejects.toThrow()
    expect(await agedLeft()).toEqual(['1 days old', '29 days old'])
  })

  it('deletes nothing when its audit record cannot be written', async () => {
    await sql`create function refuse_prune() returns trigger language plpgsql as $$ begin raise exception 'audit log refused'; end $$`.execute(state.db)
    await sql`create trigger refuse_prune before insert on audit_log for each row when (new.action = 'audit.prune') execute function refuse_prune()`.execute(state.db)
    try {
      const job = await jobs.enqueue('audit.prune', { days: 1 }, { startedBy: 'admin@test.local', trigger: 'manual' })
      // Retried once (retryLimit 1), refused both times.
      const done = await until(job.id, 60_000)
      expect(done.state).not.toBe('succeeded')
      expect(done.error ?? done.message).toContain('audit log refused')
    } finally {
      await sql`drop trigger refuse_prune on audit_log`.execute(state.db)
      await sql`drop function refuse_prune()`.execute(state.db)
    }
    expect(await agedLeft()).toEqual(['1 days old', '29 days old'])
  }, 90_000)

  it('is scheduled daily by default, and off while the retention keeps everything or AUDIT_PRUNE_CRON is off', () => {
    const base = { INTEGRITY_SCHEDULE_CRON: undefined, INTEGRITY_SCHEDULE_HOURS: undefined, JOBS_TIMEZONE: 'Europe/Berlin' }
    expect(configuredSchedules({ ...base, AUDIT_PRUNE_CRON: '30 4 * * *', AUDIT_RETENTION_DAYS: 365 })['audit.prune']).toEqual({ cron: '30 4 * * *', timezone: 'Europe/Berlin', enabled: true })
    expect(configuredSchedules({ ...base, AUDIT_PRUNE_CRON: '30 4 * * *', AUDIT_RETENTION_DAYS: 0 })['audit.prune'].enabled).toBe(false)
    expect(configuredSchedules({ ...base, AUDIT_PRUNE_CRON: 'off', AUDIT_RETENTION_DAYS: 365 })['audit.prune'].enabled).toBe(false)
  })
})

describe('two dashboards on one state database', () => {
  it('run a scheduled prune once, and both list it on their Jobs page', async () => {
    // A second "web server": its own pool on the state database and its own pg-boss, cron monitor and workers.
    const secondState = otherPool(state.url)
    const second = await startTestJobs(target, { url: state.url, db: secondState }, { workKinds: ['audit.prune'] })
    try {
      await syncSchedules(second, configuredSchedules({ INTEGRITY_SCHEDULE_CRON: 'off', INTEGRITY_SCHEDULE_HOURS: undefined, JOBS_TIMEZONE: 'UTC', AUDIT_PRUNE_CRON: '30 4 * * *', AUDIT_RETENTION_DAYS: 365 }))
      // Start early in a minute, so the whole test stays within it.
      while (new Date().getUTCSeconds() > 40) await new Promise((r) => setTimeout(r, 500))
      const now = new Date()
      const thisMinute = `${now.getUTCMinutes()} ${now.getUTCHours()} * * *`
      await saveSchedule(jobs, 'audit.prune', { cron: thisMinute, timezone: 'UTC', enabled: true }, 'admin@test.local')
      await new Promise((r) => setTimeout(r, 8_000))
      const pages = await Promise.all(
        [state.db, secondState].map(async (db) => (await listJobs(db, { targetKey: jobs.services.target.key, kinds: ['audit.prune'] })).filter((j) => j.trigger === 'schedule').map((j) => jobView(j, 'admin'))),
      )
      expect(pages[0]).toHaveLength(1)
      expect(pages[1].map((j) => [j.id, j.kind, j.startedBy])).toEqual(pages[0].map((j) => [j.id, j.kind, j.startedBy]))
      const done = await until(pages[0][0].id)
      expect(done).toMatchObject({ state: 'succeeded', startedBy: 'schedule' })
      expect((await listAudit(state.db, { action: 'audit.prune', limit: 1 }))[0]).toMatchObject({ actorEmail: 'schedule', result: 'ok' })
      const listed = (await listSchedules(secondState, second.kinds, second.services.target.key, {})).find((s) => s.kind === 'audit.prune')
      expect(listed).toMatchObject({ cron: thisMinute, enabled: true, setBy: 'admin@test.local', lastRun: expect.objectContaining({ id: done.id }) })
    } finally {
      await second.stop(5_000)
      await secondState.destroy()
    }
  }, 90_000)
})
