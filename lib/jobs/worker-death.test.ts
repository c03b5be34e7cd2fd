import type { ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { kill9, startCliWorker, until } from '../../test/cli-worker'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { lockTable } from '../../test/lock-table'
import { freshStateDb } from '../../test/state-db'
import { startTestJobs } from '../../test/test-jobs'
import { createDb } from '../db/connect'
import { buildDemoDatabase } from '../demo/prepare-demo'
import { manifestPath } from '../integrity/fix-file'
import { getFixJob } from '../integrity/fix-store'
import { countOrphans } from '../integrity/orphans'
import { getIntegrityRun } from '../integrity/run-store'
import type { JobSystem } from './job-system'
import { getJob, type JobRow } from './job-store'

// A worker killed mid-job (kill -9: no chance to say goodbye) must never leave its job running:
// its free liveness lock shows it dead at once, the job is recorded interrupted, and pg-boss
// retries it on another worker (a run) or records it failed (a fix, reported with the batches it
// did) well within the job's expiry.
let target: FreshDatabase
let state: FreshDatabase
let locker: Kysely<any>
let queue: JobSystem
const others: JobSystem[] = []
const children: ChildProcess[] = []
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'worker-death-'))
const agenda = { schema: 'public', table: 'agenda_item', columns: ['meeting_id'], refSchema: 'public', refTable: 'meeting', refColumns: ['id'] }

beforeAll(async () => {
  ;[target, state] = await Promise.all([freshDatabase('death'), freshStateDb()])
  await buildDemoDatabase(target.db)
  locker = createDb(target.url, { max: 2 })
  // This process only queues until a test starts a worker here.
  queue = await startTestJobs(target, state, { work: false, supervise: false })
})
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL')
  for (const o of others) await o.stop(5_000)
  await queue?.stop(5_000)
  await locker?.destroy()
  await target?.drop()
  await state?.drop()
  fs.rmSync(dir, { recursive: true, force: true })
})

const startWorker = () => startCliWorker({ targetUrl: target.url, stateUrl: state.url, children })

async function bossJob(job: JobRow) {
  const { rows } = await sql<{ state: string; retry_count: number }>`
    select state::text, retry_count from pgboss.job where id = ${job.bossId}
    union all select state::text, retry_count from pgboss.archive where id = ${job.bossId}`.execute(state.db)
  return rows[0]
}

describe('a worker killed mid-job', () => {
  it('leaves an integrity run interrupted at once, which pg-boss runs again on another worker', async () => {
    const lock = await lockTable(locker, 'agenda_item')
    let job: JobRow
    try {
      const worker = await startWorker()
      job = await queue.enqueue('integrity.run', {}, { startedBy: 'operator@test.local', trigger: 'manual' })
      await until(30_000, async () => (await getJob(state.db, job.id))?.state === 'running')
      await kill9(worker)
      const killedAt = Date.now()
      // Dead at once: no heartbeat to wait out, no expiry (hours) to wait for.
      const interrupted = await until(5_000, async () => {
        await queue.markDead()
        const j = await getJob(state.db, job.id)
        return j?.state === 'interrupted' ? j : null
      })
      expect(Date.now() - killedAt).toBeLessThan(5_000)
      expect(interrupted.error).toContain('Its worker stopped before it finished')
      expect(interrupted.error).toContain('pg-boss runs it again (attempt 2)')
      expect((await getIntegrityRun(state.db, job.refId!))?.status).toBe('interrupted')
      // Another worker (here: this process) fails the dead attempt in pg-boss, which retries it.
      others.push(await startTestJobs(target, state))
      await until(15_000, async () => (await getJob(state.db, job.id))?.attempts === 2)
      expect((await bossJob(job)).retry_count).toBe(1)
    } finally {
      await lock.release()
    }
    const done = await until(30_000, async () => {
      const j = await getJob(state.db, job.id)
      return j && !['queued', 'running', 'interrupted'].includes(j.state) ? j : null
    })
    expect(done).toMatchObject({ state: 'succeeded', attempts: 2 })
    const run = (await getIntegrityRun(state.db, job.refId!))!
    expect(run.status).toBe('succeeded')
    expect(run.checksDone).toBe(run.checksTotal)
    // The first attempt's findings were dropped: each check is recorded once.
    const { rows } = await sql<{ n: number; keys: number }>`select count(*)::int as n, count(distinct key)::int as keys from integrity_finding where run_id = ${run.id}`.execute(state.db)
    expect(rows[0].n).toBe(rows[0].keys)
    await until(15_000, async () => (await bossJob(job))?.state === 'completed')
    for (const o of others.splice(0)) await o.stop(5_000)
  })

  it('leaves a fix interrupted with exactly the batches it did; pg-boss records it failed, the table is free and the fix restorable', async () => {
    const file = path.join(dir, 'agenda.jsonl')
    // The fix saves all 25 orphans, changes four batches of 5, and waits on the last orphan, locked here.
    let unlock!: () => void
    const released = new Promise<void>((r) => (unlock = r))
    let locked!: () => void
    const isLocked = new Promise<void>((r) => (locked = r))
    const rowLock = locker.transaction().execute(async (trx) => {
      await sql`select id from agenda_item where meeting_id not in (select id from meeting) order by id desc limit 1 for update`.execute(trx)
      locked()
      await released
    })
    await isLocked
    const worker = await startWorker()
    const job = await queue.enqueue('integrity.fix', { relation: agenda, mode: 'delete', file, total: 25, batchSize: 5 }, { startedBy: 'admin@test.local', trigger: 'manual' })
    await until(30_000, async () => (await getFixJob(state.db, job.refId!))?.changed === 20)
    await kill9(worker)
    others.push(await startTestJobs(target, state))
    const interrupted = await until(10_000, async () => {
      const j = await getJob(state.db, job.id)
      return j?.state === 'interrupted' ? j : null
    })
    expect(interrupted.error).toBe(
      `Its worker stopped after 4 batches of 5: Fix #${job.refId} changed 20 rows of 25; every row was saved to ${file} first. Restore it, or run the fix again for the rest.`,
    )
    expect(await getFixJob(state.db, job.refId!)).toMatchObject({ status: 'interrupted', phase: 'changing', saved: 25, changed: 20 })
    expect(await until(15_000, async () => (await bossJob(job))?.state === 'failed' && bossJob(job))).toMatchObject({ state: 'failed', retry_count: 0 })
    // Its rows were saved before any changed: the file and its manifest stay, and the restore puts them back.
    expect(fs.existsSync(manifestPath(file))).toBe(true)
    unlock()
    await rowLock
    const restore = await others[0].enqueue('integrity.restore', { fixId: job.refId!, relation: agenda }, { startedBy: 'admin@test.local', trigger: 'manual' })
    const restored = await until(30_000, async () => {
      const j = await getJob(state.db, restore.id)
      return j && !['queued', 'running'].includes(j.state) ? j : null
    })
    expect(restored).toMatchObject({ state: 'succeeded' })
    expect(await countOrphans(target.db, agenda)).toBe(25)
  })
})
