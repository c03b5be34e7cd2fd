import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshStateDb } from '../../test/state-db'
import { markDeadJobRows, WORKER_GONE } from './job-store'
import { isJobAlive, openJobLiveness } from './liveness'

// The worker running a job holds an advisory lock keyed by the job's row on a session of its
// own: alive while held, dead the moment that session ends (see worker-death.test.ts for kill -9).
let state: Awaited<ReturnType<typeof freshStateDb>>

beforeAll(async () => {
  state = await freshStateDb()
})
afterAll(async () => {
  await state?.drop()
})

async function runningJob(): Promise<number> {
  const { rows } = await sql<{ id: string }>`
    insert into job (kind, queue, target_key, target_database, subject, state, trigger, started_by)
    values ('integrity.run', 'q', 'elsewhere', 'db', 'db', 'running', 'cli', 'cli') returning id`.execute(state.db)
  return Number(rows[0].id)
}

describe('job liveness', () => {
  it('is the advisory lock held by a session of its own: alive while held, dead once released, one holder at a time', async () => {
    const [held, orphan] = [await runningJob(), await runningJob()]
    const liveness = await openJobLiveness(state.db, 'test')
    expect(await liveness.hold('job', held)).toBe(true)
    expect(await isJobAlive(state.db, 'job', held)).toBe(true)
    // The same number as a backup's job_no is another key.
    expect(await isJobAlive(state.db, 'backup', held)).toBe(false)
    // A second worker (a retry while the first attempt still runs) cannot take it.
    const other = await openJobLiveness(state.db, 'other')
    expect(await other.hold('job', held)).toBe(false)
    await other.release()
    const notes: number[] = []
    const dead = await markDeadJobRows(state.db, async (job) => {
      notes.push(job.id)
      return `${WORKER_GONE} (noted)`
    })
    expect(dead.map((j) => j.id)).toEqual([orphan])
    expect(notes).toEqual([orphan])
    await liveness.release()
    expect(liveness.lost).toBe(false)
    expect(await isJobAlive(state.db, 'job', held)).toBe(false)
    expect((await markDeadJobRows(state.db)).map((j) => j.id)).toEqual([held])
    const { rows } = await sql<{ id: string; state: string; finished: boolean; error: string }>`
      select id, state, finished_at is not null as finished, error from job where id in (${held}, ${orphan}) order by id`.execute(state.db)
    expect(rows.map((r) => [r.state, r.finished, r.error])).toEqual([
      ['interrupted', true, WORKER_GONE],
      ['interrupted', true, `${WORKER_GONE} (noted)`],
    ])
  })

  it('notices a lost session: the job should stop, others already take it for dead', async () => {
    const id = await runningJob()
    const liveness = await openJobLiveness(state.db, 'lost')
    expect(await liveness.hold('job', id)).toBe(true)
    await sql`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'dbadmin job: lost'`.execute(state.db)
    for (let i = 0; i < 100 && !liveness.lost; i++) await new Promise((r) => setTimeout(r, 20))
    expect(liveness.lost).toBe(true)
    expect(await isJobAlive(state.db, 'job', id)).toBe(false)
    await liveness.release()
  })
})
