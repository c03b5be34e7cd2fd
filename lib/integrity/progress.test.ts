import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FreshDatabase } from '../../test/fresh-db'
import { freshStateDb } from '../../test/state-db'
import type { TargetIdentity } from '../db/target-identity'
import { markDeadJobs } from '../jobs/dead-jobs'
import { createFixJob, markFixProgress } from './fix-store'
import { readIntegrityProgress } from './progress'
import { createIntegrityRun, markProgress } from './run-store'
import { isRunning } from './run-status'

const HERE: TargetIdentity = { key: 'sys-1/dor', database: 'dor', serverBy: 'system_identifier' }
const ELSEWHERE = 'sys-2/dor'
const ODD = { schema: 'ünïcode schema', table: 'Order; DROP TABLE x;--', columns: ['a', 'b'], refSchema: 'public', refTable: 'meeting', refColumns: ['id', 'k'] }
const PLAIN = { schema: 'public', table: 'agenda_item', columns: ['meeting_id'], refSchema: 'public', refTable: 'meeting', refColumns: ['id'] }

let state: FreshDatabase

beforeAll(async () => {
  state = await freshStateDb()
})
afterAll(async () => {
  await state?.drop()
})

/** A job row as the queue makes it; a 'running' one nobody holds is a job whose worker died. */
async function job(kind: string, jobState: 'queued' | 'running' = 'queued'): Promise<number> {
  const { rows } = await sql<{ id: string }>`
    insert into job (kind, queue, target_key, target_database, subject, state, trigger, started_by)
    values (${kind}, 'q', ${HERE.key}, 'dor', 'dor', ${jobState}, 'manual', 'operator@test.local') returning id`.execute(state.db)
  return Number(rows[0].id)
}

async function run(targetKey: string, jobState: 'queued' | 'running' = 'queued'): Promise<number> {
  const jobId = await job('integrity.run', jobState)
  const id = await createIntegrityRun(state.db, { targetDatabase: 'dor', targetKey, trigger: 'manual', startedBy: 'operator@test.local', jobId })
  await sql`update job set ref_id = ${id} where id = ${jobId}`.execute(state.db)
  return id
}

const fix = (targetKey: string, relation: typeof PLAIN, file = '/nonexistent/fix.rows') =>
  createFixJob(state.db, { targetDatabase: 'dor', targetKey, kind: 'fix', relation, mode: 'delete', file, total: 10, startedBy: 'admin@test.local' })

describe('readIntegrityProgress', () => {
  it('answers no run and no fixes on a target without any', async () => {
    expect(await readIntegrityProgress(state.db, HERE, { limit: 20 })).toEqual({ latest: null, latestDurationMs: null, fixes: [] })
  })

  it("follows this target's newest run while it runs, with its checks and duration, and not another server's", async () => {
    const older = await run(HERE.key)
    await markProgress(state.db, older, { status: 'succeeded' })
    const id = await run(HERE.key)
    await run(ELSEWHERE)
    await markProgress(state.db, id, { status: 'running', total: 12, done: 5, current: 'orphans of public.agenda_item' })
    const running = await readIntegrityProgress(state.db, HERE, { limit: 20 })
    expect(running.latest).toMatchObject({ id, status: 'running', checksTotal: 12, checksDone: 5, currentCheck: 'orphans of public.agenda_item' })
    expect(isRunning(running.latest!)).toBe(true)
    expect(running.latestDurationMs).toBeGreaterThanOrEqual(0)

    await markProgress(state.db, id, { status: 'succeeded', done: 12 })
    const done = await readIntegrityProgress(state.db, HERE, { limit: 20 })
    expect(done.latest).toMatchObject({ id, status: 'succeeded', checksDone: 12 })
    expect(isRunning(done.latest!)).toBe(false)
    const took = new Date(done.latest!.finishedAt!).getTime() - new Date(done.latest!.startedAt).getTime()
    expect(done.latestDurationMs).toBe(took)
  })

  it('reports a run whose worker died as interrupted once the job system swept it, so a page following it stops', async () => {
    const id = await run(HERE.key, 'running')
    await markProgress(state.db, id, { status: 'running', total: 12, done: 1 })
    // The poll only reads: the run shows as it was left until the sweep (JobSystem.sweep) sees it.
    expect((await readIntegrityProgress(state.db, HERE, { limit: 20 })).latest).toMatchObject({ id, status: 'running' })
    await markDeadJobs(state.db)
    const p = await readIntegrityProgress(state.db, HERE, { limit: 20 })
    expect(p.latest).toMatchObject({ id, status: 'interrupted' })
    expect(isRunning(p.latest!)).toBe(false)
  })

  it('lists fixes newest first with why each cannot be restored and its relation page, narrowed to one relation when asked', async () => {
    const plain = await fix(HERE.key, PLAIN)
    const odd = await fix(HERE.key, ODD)
    await fix(ELSEWHERE, PLAIN)
    await markFixProgress(state.db, odd, { status: 'running', phase: 'saving', saved: 4 })
    await markFixProgress(state.db, plain, { status: 'succeeded', phase: 'changing', changed: 10 })

    const all = await readIntegrityProgress(state.db, HERE, { limit: 20 })
    expect(all.fixes.map((f) => [f.id, f.status])).toEqual([
      [odd, 'running'],
      [plain, 'succeeded'],
    ])
    expect(all.fixes[0]).toMatchObject({ saved: 4, restoreRefusal: `Fix #${odd} is still running: cancel it first, or wait for it.` })
    expect(all.fixes[1].restoreRefusal).toBe(`The saved rows of fix #${plain} are gone from /nonexistent/fix.rows.`)
    expect(new URLSearchParams(all.fixes[0].relationQuery).get('table')).toBe(ODD.table)
    expect(new URLSearchParams(all.fixes[0].relationQuery).get('schema')).toBe(ODD.schema)

    const one = await readIntegrityProgress(state.db, HERE, { relation: ODD, limit: 20 })
    expect(one.fixes.map((f) => f.id)).toEqual([odd])
    expect((await readIntegrityProgress(state.db, HERE, { limit: 1 })).fixes).toHaveLength(1)
  })
})
