import type { ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { kill9, startCliWorker, until } from '../../test/cli-worker'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { lockTable } from '../../test/lock-table'
import { freshStateDb } from '../../test/state-db'
import { startTestJobs, testJobServices } from '../../test/test-jobs'
import { listAudit } from '../audit/audit-log'
import { createDb } from '../db/connect'
import { buildDemoDatabase } from '../demo/prepare-demo'
import type { JobSystem } from '../jobs/job-system'
import { getJob, type JobRow, listJobs } from '../jobs/job-store'
import { saveSchedule } from '../jobs/schedules'
import { type BackupRecord, listBackups } from './catalogue'
import { backupDirectory } from './backup-files'
import { getRetentionPolicy, saveRetentionPolicy } from './retention-policy'

// Backups as pg-boss jobs: a killed worker's backup ends interrupted with no file left; a
// schedule fires once with two workers; the saved retention policy follows a scheduled backup.
let target: FreshDatabase
let state: FreshDatabase
let locker: Kysely<any>
let jobs: JobSystem
const children: ChildProcess[] = []
const dataPath = fs.mkdtempSync(path.join(os.tmpdir(), 'backup-jobs-'))
const dir = backupDirectory(dataPath)

async function services() {
  const s = await testJobServices(target, state, dataPath)
  return { settings: s.settings }
}

beforeAll(async () => {
  ;[target, state] = await Promise.all([freshDatabase('bkjobs'), freshStateDb()])
  await buildDemoDatabase(target.db)
  locker = createDb(target.url, { max: 1 })
  jobs = await startTestJobs(target, state, {}, await services())
})
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL')
  await jobs?.stop(5_000)
  await locker?.destroy()
  await target?.drop()
  await state?.drop()
  fs.rmSync(dataPath, { recursive: true, force: true })
})

const ended = (id: number) => until(60_000, async () => {
  const j = await getJob(state.db, id)
  return j && !['queued', 'running'].includes(j.state) ? j : null
})
const backupOf = (jobId: number) => until(30_000, async () => (await listBackups(state.db, jobs.services.target.key)).find((b) => b.jobId === jobId))
const files = () => (fs.existsSync(dir) ? fs.readdirSync(dir) : [])

const startWorker = () => startCliWorker({ targetUrl: target.url, stateUrl: state.url, dataPath, children })

describe('backup jobs', () => {
  it('a worker killed while pg_dump runs: the job and the backup end interrupted, the partial file is removed', async () => {
    // Only the child works the backup queue: this process's system stops taking jobs for now.
    await jobs.stop(5_000)
    const queue = await startTestJobs(target, state, { work: false, supervise: false }, await services())
    const lock = await lockTable(locker, 'meeting')
    try {
      const worker = await startWorker()
      const job = await queue.enqueue('backup.full', {}, { startedBy: 'operator@test.local', trigger: 'manual' })
      const b = await backupOf(job.id)
      // pg_dump waits on the lock with its partial file open.
      await until(30_000, async () => files().includes(`${b.file}.partial`))
      await kill9(worker)
      const interrupted = await until(5_000, async () => {
        await queue.markDead()
        const j = await getJob(state.db, job.id)
        return j?.state === 'interrupted' ? j : null
      })
      expect(interrupted.error).toBe('Its worker stopped before it finished: the backup is recorded interrupted and its partial file removed.')
      const after = (await listBackups(state.db, jobs.services.target.key)).find((x) => x.id === b.id)!
      expect(after.status).toBe('interrupted')
      expect(files().filter((f) => f.startsWith(b.file))).toEqual([])
    } finally {
      await lock.release()
      await queue.stop(5_000)
      jobs = await startTestJobs(target, state, {}, await services())
    }
  })

  it('a scheduled full backup fires once with two workers, then the saved retention policy deletes what it does not keep', async () => {
    // Two manual backups first: the policy (keep the last 1) leaves only the scheduled one, and
    // deletes the record of the interrupted backup of the test before (older than a success).
    const manual: BackupRecord[] = []
    for (let i = 0; i < 2; i++) {
      const job = await jobs.enqueue('backup.full', {}, { startedBy: 'operator@test.local', trigger: 'manual' })
      expect(await ended(job.id)).toMatchObject({ state: 'succeeded' })
      manual.push(await backupOf(job.id))
    }
    await saveRetentionPolicy(state.db, jobs.services.target.key, { keepLast: 1 }, true, 'admin@test.local')
    expect(await getRetentionPolicy(state.db, jobs.services.target.key)).toMatchObject({ policy: { keepLast: 1 }, enabled: true })

    const second = await startTestJobs(target, state, {}, await services())
    try {
      while (new Date().getUTCSeconds() > 40) await new Promise((r) => setTimeout(r, 500))
      const now = new Date()
      const thisMinute = `${now.getUTCMinutes()} ${now.getUTCHours()} * * *`
      await saveSchedule(jobs, 'backup.full', { cron: thisMinute, timezone: 'UTC', enabled: true }, 'admin@test.local')
      await new Promise((r) => setTimeout(r, 8_000))
      const fired = (await listJobs(state.db, { targetKey: jobs.services.target.key, kinds: ['backup.full'] })).filter((j) => j.trigger === 'schedule')
      expect(fired).toHaveLength(1)
      const done: JobRow = await ended(fired[0].id)
      expect(done).toMatchObject({ state: 'succeeded', startedBy: 'schedule', message: expect.stringContaining('Retention deleted 3 older backups.') })
      await saveSchedule(jobs, 'backup.full', { cron: thisMinute, timezone: 'UTC', enabled: false }, 'admin@test.local')
    } finally {
      await second.stop(5_000)
    }
    const all = await listBackups(state.db, jobs.services.target.key, { includeDeleted: true })
    const live = all.filter((b) => !b.deletedAt && b.status === 'succeeded')
    expect(live).toHaveLength(1)
    expect(live[0]).toMatchObject({ origin: 'scheduled', createdBy: 'schedule' })
    for (const m of manual) {
      expect(all.find((b) => b.id === m.id)).toMatchObject({ deletedBy: 'schedule (retention)' })
      expect(fs.existsSync(path.join(dir, m.file))).toBe(false)
    }
    const audit = await listAudit(state.db, { action: 'backups.delete' })
    expect(audit.filter((a) => a.actorEmail === 'schedule' && a.result === 'ok')).toHaveLength(3)
  })

  it('a schedule firing while a backup runs is recorded as skipped, naming that backup', async () => {
    const lock = await lockTable(locker, 'meeting')
    let running: JobRow | undefined
    try {
      // A manual backup waits on the lock, holding the target's backup key.
      running = await jobs.enqueue('backup.full', {}, { startedBy: 'operator@test.local', trigger: 'manual' })
      await until(30_000, async () => (await getJob(state.db, running!.id))?.state === 'running')
      while (new Date().getUTCSeconds() > 40) await new Promise((r) => setTimeout(r, 500))
      const now = new Date()
      const thisMinute = `${now.getUTCMinutes()} ${now.getUTCHours()} * * *`
      // The schema backup's schedule (the test before fired the full one's this minute): the backup kinds share one key.
      await saveSchedule(jobs, 'backup.schema', { cron: thisMinute, timezone: 'UTC', enabled: true }, 'admin@test.local')
      const skipped = await until(20_000, async () => (await listJobs(state.db, { targetKey: jobs.services.target.key, kinds: ['backup.schema'] })).find((j) => j.trigger === 'schedule'))
      await saveSchedule(jobs, 'backup.schema', { cron: thisMinute, timezone: 'UTC', enabled: false }, 'admin@test.local')
      expect(skipped).toMatchObject({
        state: 'cancelled',
        startedBy: 'schedule',
        startedAt: null,
        message: `Skipped: full backup job #${running.id} was running when the schedule fired.`,
        result: { skipped: true, runningJobId: running.id },
      })
      // The running backup goes on, untouched.
      expect(await getJob(state.db, running.id)).toMatchObject({ state: 'running' })
    } finally {
      await lock.release()
    }
    expect(await ended(running.id)).toMatchObject({ state: 'succeeded' })
  })
})
