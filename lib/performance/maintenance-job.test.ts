import { type ChildProcess, spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { waitFor } from '../../test/app-sessions'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { lockTable } from '../../test/lock-table'
import { ROOT } from '../../test/run-command'
import { freshStateDb } from '../../test/state-db'
import { startTestJobs } from '../../test/test-jobs'
import { createDb } from '../db/connect'
import { JobBusyError } from '../jobs/enqueue'
import type { JobSystem } from '../jobs/job-system'
import { getJob } from '../jobs/job-store'
import { cancelMaintenanceJob, MAINTENANCE_CONCURRENCY, queueMaintenance } from './maintenance-job'
import { getMaintenanceJob, listMaintenanceJobs } from './maintenance-store'

let target: FreshDatabase
let state: FreshDatabase
let jobs: JobSystem

beforeAll(async () => {
  ;[target, state] = await Promise.all([freshDatabase('mjobq'), freshStateDb()])
  await sql`create table public.t (id int primary key, v text)`.execute(target.db)
  await sql`create table public.u (id int primary key)`.execute(target.db)
  await sql`insert into public.t select g, 'x' || g from generate_series(1, 5000) g`.execute(target.db)
  jobs = await startTestJobs(target, state, { workKinds: ['maintenance.run'] })
})
const children: ChildProcess[] = []
const dataPath = fs.mkdtempSync(path.join(os.tmpdir(), 'maintenance-jobs-'))

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL')
  fs.rmSync(dataPath, { recursive: true, force: true })
  await jobs?.stop(5_000)
  await Promise.all([target?.drop(), state?.drop()])
})

const who = { startedBy: 'operator@test.local', trigger: 'manual' as const }
const settled = (id: number) => waitFor(async () => {
  const j = await getJob(state.db, id)
  return j && !['queued', 'running'].includes(j.state) ? j : undefined
}, 20_000, `job #${id}`)

describe('maintenance on the queue', () => {
  it('runs a task as a job with its own row, and refuses an unknown table before queueing', async () => {
    const job = await queueMaintenance(jobs, { kind: 'vacuum', schema: 'public', table: 't', analyze: true }, who)
    expect(job).toMatchObject({ kind: 'maintenance.run', subject: 'VACUUM (ANALYZE) public.t', exclusiveKey: `maintenance:${jobs.services.target.key}:public.t` })
    expect(await settled(job.id)).toMatchObject({ state: 'succeeded', message: expect.stringMatching(/^VACUUM \(ANALYZE\) public\.t; done in \d+ ms\.$/) })
    expect(await getMaintenanceJob(state.db, job.refId!)).toMatchObject({ jobId: job.id, status: 'succeeded', statement: 'VACUUM (ANALYZE) public.t;', startedBy: 'operator@test.local' })
    await expect(queueMaintenance(jobs, { kind: 'analyze', schema: 'public', table: 'nope' }, who)).rejects.toThrow('There is no table public.nope.')
    await expect(jobs.enqueue('maintenance.run', { task: { kind: 'truncate', schema: 'public', table: 't' }, table: 'public.t' }, who)).rejects.toThrow()
    expect(MAINTENANCE_CONCURRENCY).toBe(2)
  })

  it('shows a waiting CREATE INDEX CONCURRENTLY’s phase as progress, keeps one job per table, and cancels its backend', async () => {
    // An uncommitted write: CREATE INDEX CONCURRENTLY waits for it in its "waiting for writers" phase.
    const writer = createDb(target.url, { max: 1 })
    try {
      await writer.connection().execute(async (conn) => {
        await sql`begin`.execute(conn)
        await sql`insert into public.t values (100001, 'open')`.execute(conn)
        const job = await queueMaintenance(jobs, { kind: 'create-index', schema: 'public', table: 't', columns: ['v'] }, who)
        const running = await waitFor(async () => {
          const j = await getJob(state.db, job.id)
          return j?.progress.label?.includes('waiting for writers') ? j : undefined
        }, 15_000, 'the build to wait for the writer')
        expect(running.progress.label).toMatch(/^CREATE INDEX CONCURRENTLY: waiting for writers/)
        const listed = (await listMaintenanceJobs(target.db, state.db, jobs.services.target.key)).find((m) => m.id === job.refId)
        expect(listed).toMatchObject({ status: 'running', pid: expect.any(Number), progress: expect.objectContaining({ command: 'CREATE INDEX CONCURRENTLY' }) })

        // The same table is taken; another table is not.
        await expect(queueMaintenance(jobs, { kind: 'analyze', schema: 'public', table: 't' }, who)).rejects.toBeInstanceOf(JobBusyError)
        const other = await queueMaintenance(jobs, { kind: 'analyze', schema: 'public', table: 'u' }, who)
        expect(await settled(other.id)).toMatchObject({ state: 'succeeded' })

        expect(await cancelMaintenanceJob(jobs, job.refId!)).toEqual({ ok: true, message: `Asked maintenance job #${job.refId} to cancel.` })
        const done = await settled(job.id)
        expect(done).toMatchObject({ state: 'cancelled', message: expect.stringMatching(/cancelled\. It left invalid index public\.t_v_idx to drop\.$/) })
        expect(await getMaintenanceJob(state.db, job.refId!)).toMatchObject({ status: 'cancelled', leftovers: ['public.t_v_idx'] })
        expect(await cancelMaintenanceJob(jobs, job.refId!)).toMatchObject({ ok: false, message: `Maintenance job #${job.refId} is not running (cancelled).` })
        await sql`rollback`.execute(conn)
      })
    } finally {
      await writer.destroy()
    }
    await sql`drop index if exists public.t_v_idx`.execute(target.db)
  })

  it('records a job whose worker died as interrupted in its own row', async () => {
    // No worker takes it: the job stays queued until it is recorded interrupted here.
    await jobs.stop(5_000)
    const queueOnly = await startTestJobs(target, state, { work: false, supervise: false })
    try {
      const job = await queueMaintenance(queueOnly, { kind: 'analyze', schema: 'public', table: 'u' }, who)
      // What markDeadJobs does once a worker's liveness lock is gone.
      await state.db.updateTable('job').set({ state: 'interrupted', finished_at: new Date() }).where('id', '=', job.id).execute()
      const { maintenanceJob } = await import('./maintenance-job')
      await maintenanceJob.stopped!(state.db, (await getJob(state.db, job.id))!)
      expect(await getMaintenanceJob(state.db, job.refId!)).toMatchObject({ status: 'interrupted', error: expect.stringContaining('worker stopped') })
    } finally {
      await queueOnly.stop(5_000)
    }
  })

  it('a worker killed while its VACUUM waits: the job ends interrupted and the statement it left on the server is cancelled', async () => {
    await jobs.stop(5_000)
    const queue = await startTestJobs(target, state, { work: false, supervise: false })
    const locker = createDb(target.url, { max: 1 })
    const lock = await lockTable(locker, 'u')
    try {
      // `dbadmin jobs worker` in a process of its own, as in production.
      const worker = spawn(process.execPath, ['--import', 'tsx', 'cli/dbadmin.ts', 'jobs', 'worker'], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: target.url, STATE_DATABASE_URL: state.url, DATA_DIR: dataPath, INTEGRITY_SCHEDULE_CRON: 'off' } as unknown as NodeJS.ProcessEnv,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      children.push(worker)
      let err = ''
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the worker did not start: ${err}`)), 30_000)
        worker.stderr!.on('data', (c: Buffer) => {
          err += c.toString()
          if (err.includes('job worker for')) {
            clearTimeout(timer)
            resolve()
          }
        })
      })
      const job = await queueMaintenance(queue, { kind: 'vacuum', schema: 'public', table: 'u', analyze: false }, who)
      // The VACUUM waits for the lock in the worker's backend, whose pid the job's row holds.
      const row = await waitFor(async () => {
        const m = await getMaintenanceJob(state.db, job.refId!)
        return m?.pid ? m : undefined
      }, 30_000, 'the statement to start')
      const waiting = async () =>
        (await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where pid = ${row.pid} and state = 'active' and query ilike '%vacuum%'`.execute(target.db)).rows[0].n
      await waitFor(async () => (await waiting()) === 1, 10_000, 'the VACUUM to wait for the lock')

      const exited = new Promise((r) => worker.once('exit', r))
      worker.kill('SIGKILL')
      await exited
      // The server does not notice the client is gone while the VACUUM waits: it would run on.
      expect(await waiting()).toBe(1)
      const interrupted = await waitFor(async () => {
        await queue.markDead()
        const j = await getJob(state.db, job.id)
        return j?.state === 'interrupted' ? j : undefined
      }, 15_000, 'the job to be recorded interrupted')
      expect(interrupted.error).toContain(`Its statement was still running on the server (pid ${row.pid}) and was cancelled.`)
      expect(await getMaintenanceJob(state.db, job.refId!)).toMatchObject({ status: 'interrupted', error: expect.stringContaining('was cancelled') })
      await waitFor(async () => (await waiting()) === 0, 10_000, 'the stranded VACUUM to stop')
    } finally {
      await lock.release()
      await locker.destroy()
      await queue.stop(5_000)
    }
  }, 90_000)
})
