import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { lockTable } from '../../test/lock-table'
import { freshStateDb } from '../../test/state-db'
import { startTestJobs } from '../../test/test-jobs'
import { createDb } from '../db/connect'
import { buildDemoDatabase } from '../demo/prepare-demo'
import { getIntegrityRun } from '../integrity/run-store'
import { JobBusyError } from './enqueue'
import type { JobSystem } from './job-system'
import { getJob, type JobRow, listJobs } from './job-store'
import { listSchedules, saveSchedule, syncSchedules } from './schedules'

let target: FreshDatabase
let state: FreshDatabase
let jobs: JobSystem
let locker: Kysely<any>
// Fixes make their file's folder private (0700): never /tmp itself.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobsys-'))

beforeAll(async () => {
  ;[target, state] = await Promise.all([freshDatabase('jobsys'), freshStateDb()])
  await buildDemoDatabase(target.db)
  locker = createDb(target.url, { max: 1 })
  jobs = await startTestJobs(target, state)
})
afterAll(async () => {
  await jobs?.stop(5_000)
  await locker?.destroy()
  await target?.drop()
  await state?.drop()
  fs.rmSync(dir, { recursive: true, force: true })
})

async function until(id: number, done: (j: JobRow) => boolean, ms = 30_000): Promise<JobRow> {
  const deadline = Date.now() + ms
  for (;;) {
    const j = await getJob(state.db, id)
    if (j && done(j)) return j
    if (Date.now() > deadline) throw new Error(`job #${id} did not get there: ${JSON.stringify(j)}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
/** pg-boss's own record of the job, once it settled (it completes a job just after its handler returns). */
async function bossState(job: JobRow, settled = (s: string) => s !== 'active', ms = 15_000): Promise<string> {
  const deadline = Date.now() + ms
  for (;;) {
    const { rows } = await sql<{ state: string }>`select state::text from pgboss.job where id = ${job.bossId} union all select state::text from pgboss.archive where id = ${job.bossId}`.execute(state.db)
    if ((rows[0] && settled(rows[0].state)) || Date.now() > deadline) return rows[0]?.state ?? 'none'
    await new Promise((r) => setTimeout(r, 100))
  }
}
const finished = (j: JobRow) => !['queued', 'running'].includes(j.state)

describe('the job system', () => {
  it('runs an integrity run queued through pg-boss; a second one on the same target is refused naming the first', async () => {
    const lock = await lockTable(locker, 'agenda_item')
    let first: JobRow
    try {
      first = await jobs.enqueue('integrity.run', {}, { startedBy: 'operator@test.local', trigger: 'manual' })
      expect(first).toMatchObject({ kind: 'integrity.run', state: 'queued', startedBy: 'operator@test.local', subject: target.url.split('/').pop() })
      await until(first.id, (j) => j.state === 'running')
      const second = await jobs.enqueue('integrity.run', {}, { startedBy: 'admin@test.local', trigger: 'manual' }).catch((e: unknown) => e)
      expect(second).toBeInstanceOf(JobBusyError)
      expect((second as Error).message).toMatch(
        new RegExp(`^Integrity run is already running on .+: job #${first.id} \\(run #${first.refId}\\), started by operator@test\\.local at \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC\\. Wait for it or cancel it\\.$`),
      )
    } finally {
      await lock.release()
    }
    const done = await until(first.id, finished)
    expect(done).toMatchObject({ state: 'succeeded', attempts: 1 })
    expect(done.progress.total).toBeGreaterThan(5)
    expect(done.progress.done).toBe(done.progress.total)
    expect((await getIntegrityRun(state.db, first.refId!))?.status).toBe('succeeded')
    expect(await bossState(first)).toBe('completed')
    expect((await listJobs(state.db, { targetKey: first.targetKey })).map((j) => j.id)).toContain(first.id)
  })
})

const agenda = { schema: 'public', table: 'agenda_item', columns: ['meeting_id'], refSchema: 'public', refTable: 'meeting', refColumns: ['id'] }
const loose = { schema: 'public', table: 'loose_child', columns: ['parent_id'], refSchema: 'public', refTable: 'loose_parent', refColumns: ['id'] }

describe('one fix or restore at a time per table, and cancel', () => {
  it('refuses a second fix on the same table with the running job, runs one on another table, and cancels a running fix between batches', async () => {
    await sql`create table loose_parent (id int primary key)`.execute(target.db)
    await sql`create table loose_child (id int primary key, parent_id int)`.execute(target.db)
    await sql`insert into loose_child select g, g from generate_series(1, 3) g`.execute(target.db)
    const seen: number[] = []
    // Only the watcher works here, so that its progress hook sees the fix.
    await jobs.stop(5_000)
    let cancelAt: ((changed: number) => Promise<void>) | null = null
    const watcher = await startTestJobs(target, state, {
      onProgress: async (job, p) => {
        if (job.kind === 'integrity.fix' && job.subject.startsWith('public.agenda_item') && p.label === 'changing rows' && p.done !== undefined) {
          seen.push(p.done)
          await cancelAt?.(p.done)
        }
      },
    })
    try {
      const lock = await lockTable(locker, 'agenda_item')
      let first: JobRow
      try {
        first = await watcher.enqueue('integrity.fix', { relation: agenda, mode: 'delete', file: path.join(dir, 'agenda.jsonl'), total: 25, batchSize: 5 }, { startedBy: 'admin@test.local', trigger: 'manual' })
        const second = await watcher
          .enqueue('integrity.fix', { relation: agenda, mode: 'delete', file: path.join(dir, 'never.jsonl'), total: 25 }, { startedBy: 'other@test.local', trigger: 'manual' })
          .catch((e: unknown) => e)
        expect(second).toBeInstanceOf(JobBusyError)
        expect((second as Error).message).toMatch(
          new RegExp(`^Orphan fix is already (queued|running) on public\\.agenda_item\\(meeting_id\\) → public\\.meeting\\(id\\): job #${first.id} \\(fix #${first.refId}\\), started by admin@test\\.local at .+ UTC\\. Wait for it or cancel it\\.$`),
        )
        // Another table is not blocked by it.
        const other = await watcher.enqueue('integrity.fix', { relation: loose, mode: 'delete', file: path.join(dir, 'loose.jsonl'), total: 3 }, { startedBy: 'admin@test.local', trigger: 'manual' })
        expect(await until(other.id, finished)).toMatchObject({ state: 'succeeded' })
        // As an admin pressing Cancel while the second batch runs.
        cancelAt = async (changed) => {
          if (changed === 10) expect((await watcher.cancel(first.id)).ok).toBe(true)
        }
      } finally {
        await lock.release()
      }
      const done = await until(first.id, finished)
      expect(done).toMatchObject({ state: 'cancelled', cancelRequested: true })
      expect(done.message).toContain(`Fix #${done.refId} stopped: deleted 10 rows of 25 orphans`)
      expect(await bossState(done)).toBe('completed')
      expect(seen).toEqual([0, 5, 10])
      expect(await watcher.cancel(first.id)).toMatchObject({ ok: false, message: `Job #${first.id} is not running (cancelled).` })
    } finally {
      await watcher.stop(5_000)
      jobs = await startTestJobs(target, state)
    }
  })

  it('cancels a running integrity run after its current check, and a queued job before it starts', async () => {
    const lock = await lockTable(locker, 'agenda_item')
    let run: JobRow
    try {
      run = await jobs.enqueue('integrity.run', {}, { startedBy: 'operator@test.local', trigger: 'manual' })
      await until(run.id, (j) => j.state === 'running')
      expect(await jobs.cancel(run.id)).toMatchObject({ ok: true, message: `Job #${run.id} stops at its next safe point; what it did so far stays done.` })
    } finally {
      await lock.release()
    }
    const done = await until(run.id, finished)
    expect(done.state).toBe('cancelled')
    expect((await getIntegrityRun(state.db, run.refId!))?.status).toBe('cancelled')

    // Queued with no worker for its queue: cancelled at once, and pg-boss drops it.
    const idle = await startTestJobs(target, state, { work: false, supervise: false })
    try {
      const queued = await idle.enqueue('migrations.replay', { actor: { id: null, label: 'cli', source: 'cli' } }, { startedBy: 'cli', trigger: 'cli' })
      await jobs.stop(5_000)
      const r = await idle.cancel(queued.id)
      expect(r).toMatchObject({ ok: true, message: `Job #${queued.id} was cancelled before it started.` })
      expect(await getJob(state.db, queued.id)).toMatchObject({ state: 'cancelled', message: 'Cancelled before it started.' })
      expect(await bossState(queued, (s) => s === 'cancelled')).toBe('cancelled')
      expect(await idle.cancel(999_999)).toMatchObject({ ok: false, message: 'There is no job #999999.' })
    } finally {
      await idle.stop(5_000)
      jobs = await startTestJobs(target, state)
    }
  })
})

describe('schedules', () => {
  it('fire once with two workers on the same state database, and an admin’s setting outlives the configured one', async () => {
    const second = await startTestJobs(target, state)
    try {
      // Start early in a minute, so the whole test stays within it.
      while (new Date().getUTCSeconds() > 40) await new Promise((r) => setTimeout(r, 500))
      const now = new Date()
      const thisMinute = `${now.getUTCMinutes()} ${now.getUTCHours()} * * *`
      await saveSchedule(jobs, 'integrity.run', { cron: thisMinute, timezone: 'UTC', enabled: true }, 'admin@test.local')
      // Both cron monitors look every second; pg-boss lets one of them send it, once per minute.
      await new Promise((r) => setTimeout(r, 8_000))
      const fired = await listJobs(state.db, { targetKey: jobs.services.target.key, kinds: ['integrity.run'] })
      const scheduled = fired.filter((j) => j.trigger === 'schedule')
      expect(scheduled).toHaveLength(1)
      expect(scheduled[0]).toMatchObject({ startedBy: 'schedule' })
      expect(await until(scheduled[0].id, finished)).toMatchObject({ state: 'succeeded' })
      // A later start with a configured schedule leaves the admin's alone.
      await syncSchedules(second, { 'integrity.run': { cron: '0 3 * * *', timezone: 'UTC', enabled: true } })
      const [listed] = await listSchedules(state.db, jobs.kinds, jobs.services.target.key, {})
      expect(listed).toMatchObject({ kind: 'integrity.run', cron: thisMinute, timezone: 'UTC', enabled: true, setBy: 'admin@test.local' })
      expect(listed.lastRun?.id).toBe(scheduled[0].id)
      await expect(saveSchedule(jobs, 'integrity.run', { cron: 'every day', timezone: 'UTC', enabled: true }, 'admin@test.local')).rejects.toThrow(/is not a cron schedule/)
      await expect(saveSchedule(jobs, 'integrity.run', { cron: '0 3 * * *', timezone: 'Mars/Olympus', enabled: true }, 'admin@test.local')).rejects.toThrow(
        '"Mars/Olympus" is not a time zone (use an IANA name such as UTC or Europe/Berlin).',
      )
      await saveSchedule(jobs, 'integrity.run', { cron: '0 3 * * *', timezone: 'Europe/Berlin', enabled: false }, 'admin@test.local')
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from pgboss.schedule`.execute(state.db)
      expect(rows[0].n).toBe(0)
    } finally {
      await second.stop(5_000)
    }
  })
})
