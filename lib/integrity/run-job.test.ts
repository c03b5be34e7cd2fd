import { type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { lockTable as sharedLockTable } from '../../test/lock-table'
import { freshStateDb } from '../../test/state-db'
import { queueJobEnded, startTestJobs, TEST_JOB_TIMING } from '../../test/test-jobs'
import { createDb } from '../db/connect'
import { targetIdentity } from '../db/target-identity'
import { markDeadJobs } from '../jobs/dead-jobs'
import { JobBusyError } from '../jobs/enqueue'
import type { JobSystem } from '../jobs/job-system'
import {
  activeIntegrityRun,
  findingTrend,
  findingTrends,
  getIntegrityRun,
  type IntegrityRun,
  listIntegrityRuns,
  newlyFailing,
  runFindings,
} from './run-store'
import { relationKey } from './types'

// Runs as the page starts them: queued, one at a time per target, followed through the state DB.
let jobs: JobSystem
let target: FreshDatabase
let state: FreshDatabase
let locker: Kysely<any>
let dbName: string
let targetKey: string
const by = { startedBy: 'admin@test.local', trigger: 'manual' as const }
// Three foreign keys (child_a, child_b, child_c), one suggestion (loose), then six other steps.
const STEPS = 10
const looseKey = `orphans:${relationKey({ schema: 'public', table: 'loose', columns: ['parent_id'], refSchema: 'public', refTable: 'parent', refColumns: ['id'] })}`

beforeAll(async () => {
  ;[target, state] = await Promise.all([freshDatabase('runjob'), freshStateDb()])
  dbName = target.url.split('/').pop()!
  targetKey = (await targetIdentity(target.db)).key
  locker = createDb(target.url, { max: 1 })
  await sql`create table parent (id integer primary key)`.execute(target.db)
  for (const t of ['child_a', 'child_b', 'child_c']) {
    await sql`create table ${sql.id(t)} (id serial primary key, parent_id integer references parent (id))`.execute(target.db)
  }
  await sql`create table loose (id serial primary key, parent_id integer)`.execute(target.db)
  await sql`insert into parent values (1), (2)`.execute(target.db)
  await sql`insert into loose (parent_id) values (1), (2), (null)`.execute(target.db)
  // No periodic sweep: the dead-worker test marks its fake dead job itself, and must see it still
  // running (its exclusive key held) until then. The sweep at start runs before any test.
  jobs = await startTestJobs(target, state, { timing: { ...TEST_JOB_TIMING, sweepMs: 2 ** 31 - 1 } })
})
afterAll(async () => {
  await jobs?.stop(5_000)
  await locker?.destroy()
  await target?.drop()
  await state?.drop()
})

const lockTable = (table: string) => sharedLockTable(locker, table)

/** Queues a run as the page does; its run id. */
async function startIntegrityRun(who: { startedBy: string; trigger: IntegrityRun['trigger'] }): Promise<number> {
  return (await jobs.enqueue('integrity.run', {}, who)).refId!
}

/** The page's Cancel: true when the run was running and now stops. */
async function requestCancel(id: number): Promise<boolean> {
  const run = await getIntegrityRun(state.db, id)
  return !!run?.jobId && (await jobs.cancel(run.jobId)).ok
}

async function until(id: number, ready: (r: IntegrityRun) => boolean, timeoutMs = 30_000): Promise<IntegrityRun> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const run = await getIntegrityRun(state.db, id)
    if (run && ready(run) && (ready !== finished || (await queueJobEnded(state.db, run.jobId)))) return run
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`run ${id} did not get there in ${timeoutMs} ms: ${JSON.stringify(await getIntegrityRun(state.db, id))}`)
}
const finished = (r: IntegrityRun) => !['queued', 'running'].includes(r.status)

describe('integrity runs', () => {
  let first: number
  let second: number

  it('starts at once, refuses a second run meanwhile, and finishes with every finding saved', async () => {
    const lock = await lockTable('child_b')
    try {
      const started = Date.now()
      first = await startIntegrityRun(by)
      expect(Date.now() - started).toBeLessThan(5_000)
      const run = await getIntegrityRun(state.db, first)
      expect(run).toMatchObject({ id: first, targetDatabase: dbName, startedBy: 'admin@test.local', trigger: 'manual', finishedAt: null })
      expect(['queued', 'running']).toContain(run?.status)

      const busy = await startIntegrityRun(by).catch((e: unknown) => e)
      expect(busy).toBeInstanceOf(JobBusyError)
      expect((busy as JobBusyError).running?.refId).toBe(first)
      expect((busy as Error).message).toMatch(new RegExp(`^Integrity run is already (queued|running) on ${dbName}: job #\\d+ \\(run #${first}\\), started by admin@test.local at `))
      // Waiting on the lock: the second relation, child_b, is being counted.
      expect(await until(first, (r) => r.checksDone === 1 && r.currentCheck === 'Orphans in public.child_b(parent_id) → public.parent(id)')).toMatchObject({
        status: 'running',
        checksTotal: STEPS,
      })
    } finally {
      await lock.release()
    }
    const done = await until(first, finished)
    expect(done).toMatchObject({ status: 'succeeded', checksDone: STEPS, checksTotal: STEPS, currentCheck: null, error: null, cancelRequested: false })
    expect(done.finishedAt).toBeInstanceOf(Date)
    expect(await activeIntegrityRun(state.db, targetKey)).toBeNull()

    const saved = await runFindings(state.db, first)
    expect(saved.filter((f) => f.check === 'orphans').map((f) => [f.table, f.source, f.count])).toEqual([
      ['child_a', 'foreign_key', 0],
      ['child_b', 'foreign_key', 0],
      ['child_c', 'foreign_key', 0],
      ['loose', 'suggested', 0],
    ])
    // Only the three foreign keys without an index have a problem.
    expect(saved.filter((f) => (f.count ?? 0) > 0).map((f) => f.check)).toEqual(['unindexed_foreign_key', 'unindexed_foreign_key', 'unindexed_foreign_key'])
    expect(done.problems).toBe(3)
  })

  it('follows a check across runs and reports what newly fails', async () => {
    await sql`insert into loose (parent_id) values (9), (9)`.execute(target.db)
    second = await startIntegrityRun({ startedBy: 'cli', trigger: 'cli' })
    expect(await until(second, finished)).toMatchObject({ status: 'succeeded', checksDone: STEPS, problems: 4 })

    expect((await findingTrend(state.db, targetKey, looseKey)).map((t) => [t.runId, t.count])).toEqual([
      [first, 0],
      [second, 2],
    ])
    // Many keys in one query: the same points per key, and none for a key never checked.
    const keys = (await runFindings(state.db, second)).map((f) => f.key)
    const all = await findingTrends(state.db, targetKey, [...keys, 'never-checked'], 1)
    expect(all.get('never-checked')).toEqual([])
    expect(all.get(looseKey)!.map((t) => [t.runId, t.count])).toEqual([[second, 2]])
    for (const k of keys) expect(all.get(k)!.map((t) => t.runId)).toEqual([second])
    const newly = await newlyFailing(state.db, second, targetKey)
    expect(newly.map((f) => [f.key, f.count])).toEqual([[looseKey, 2]])
    expect(await newlyFailing(state.db, first, targetKey)).toMatchObject([{ check: 'unindexed_foreign_key' }, {}, {}])
  })

  it('stops a cancelled run after its current check', async () => {
    const lock = await lockTable('child_b')
    let id: number
    try {
      id = await startIntegrityRun(by)
      await until(id, (r) => r.checksDone === 1 && r.status === 'running')
      expect(await getIntegrityRun(state.db, id)).toMatchObject({ status: 'running', cancelRequested: false })
      expect(await requestCancel(id)).toBe(true)
      expect(await getIntegrityRun(state.db, id)).toMatchObject({ status: 'running', cancelRequested: true })
    } finally {
      await lock.release()
    }
    // child_b's count finishes; the run stops before child_c.
    const run = await until(id, finished)
    expect(run).toMatchObject({ status: 'cancelled', checksDone: 2, checksTotal: STEPS, cancelRequested: true })
    expect((await runFindings(state.db, id)).map((f) => f.table)).toEqual(['child_a', 'child_b'])
    expect(await requestCancel(id)).toBe(false)
    // A cancelled run is not the baseline for what newly fails.
    expect((await findingTrend(state.db, targetKey, looseKey)).map((t) => t.count)).toEqual([0, 2])
  })

  it('cancels a run asked to stop right after it started, before any check', async () => {
    const id = await startIntegrityRun(by)
    expect(await requestCancel(id)).toBe(true)
    expect(await until(id, finished)).toMatchObject({ status: 'cancelled', checksDone: 0 })
    expect(await runFindings(state.db, id)).toEqual([])
  })

  it('records a run whose worker is gone (no session holds its lock) as interrupted, and it blocks no new run', async () => {
    // As a worker left it when it died: its job running, but no lock held for it.
    const { rows: jobRows } = await sql<{ id: string }>`
      insert into job (kind, queue, target_key, target_database, subject, exclusive_key, state, trigger, started_by, attempts)
      values ('integrity.run', 'q', ${targetKey}, ${dbName}, ${dbName}, ${`integrity.run:${targetKey}`}, 'running', 'schedule', 'schedule', 2)
      returning id`.execute(state.db)
    const { rows } = await sql<{ id: string }>`
      insert into integrity_run (target_database, target_key, status, trigger, started_by, started_at, checks_total, checks_done, job_id)
      values (${dbName}, ${targetKey}, 'running', 'schedule', 'scheduler', now() - interval '1 minute', ${STEPS}, 4, ${jobRows[0].id})
      returning id
    `.execute(state.db)
    const stale = Number(rows[0].id)
    await sql`update job set ref_id = ${stale} where id = ${jobRows[0].id}`.execute(state.db)
    // Its exclusive key is held until someone sees it dead.
    await expect(startIntegrityRun(by)).rejects.toBeInstanceOf(JobBusyError)
    expect((await markDeadJobs(state.db)).map((j) => j.refId)).toEqual([stale])
    expect(await getIntegrityRun(state.db, stale)).toMatchObject({ status: 'interrupted', checksDone: 4, finishedAt: expect.any(Date) })
    expect(await activeIntegrityRun(state.db, targetKey)).toBeNull()

    const id = await startIntegrityRun(by)
    expect(await until(id, finished)).toMatchObject({ status: 'succeeded', checksDone: STEPS })
    expect((await listIntegrityRuns(state.db, { targetKey })).map((r) => [r.id, r.status])).toEqual([
      [id, 'succeeded'],
      [stale, 'interrupted'],
      [id - 2, 'cancelled'],
      [id - 3, 'cancelled'],
      [second, 'succeeded'],
      [first, 'succeeded'],
    ])
    // Its newly failing checks compare with the last succeeded run, not the interrupted or cancelled ones.
    expect(await newlyFailing(state.db, id, targetKey)).toEqual([])
  })

  it('stays running while one check takes long, however long, since its worker holds the lock', async () => {
    const lock = await lockTable('child_b')
    let id = 0
    try {
      id = await startIntegrityRun(by)
      await until(id, (r) => r.checksDone === 1 && r.status === 'running')
      await markDeadJobs(state.db)
      expect(await getIntegrityRun(state.db, id)).toMatchObject({ status: 'running', checksDone: 1 })
      expect((await activeIntegrityRun(state.db, targetKey))?.id).toBe(id)
      await expect(startIntegrityRun(by)).rejects.toBeInstanceOf(JobBusyError)
    } finally {
      await lock.release()
      if (id) await until(id, finished)
    }
    expect(await getIntegrityRun(state.db, id)).toMatchObject({ status: 'succeeded', checksDone: STEPS })
  })
})
