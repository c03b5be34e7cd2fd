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

let target: FreshDatabase
let state: FreshDatabase
let jobs: JobSystem
let locker: Kysely<any>

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
