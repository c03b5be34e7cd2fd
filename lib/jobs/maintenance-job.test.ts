import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { waitFor } from '../../test/app-sessions'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { freshStateDb } from '../../test/state-db'
import { targetIdentity } from '../db/target-identity'
import { getMaintenanceJob, listMaintenanceJobs, MaintenanceBusyError, requestMaintenanceCancel, startMaintenanceJob } from './maintenance-job'

let target: FreshDatabase
let state: Awaited<ReturnType<typeof freshStateDb>>

beforeAll(async () => {
  ;[target, state] = await Promise.all([freshDatabase('mjob'), freshStateDb()])
  await sql`create table public.t (id int primary key, v text)`.execute(target.db)
  await sql`insert into public.t select g, 'x' from generate_series(1, 1000) g`.execute(target.db)
})
afterAll(async () => {
  await Promise.all([target?.drop(), state?.drop()])
})

describe('maintenance jobs', () => {
  it('a job whose process is gone is recorded as interrupted by the next reader, and blocks nothing', async () => {
    const { key, database } = await targetIdentity(target.db)
    const row = await state.db
      .insertInto('maintenance_job')
      .values({ target_key: key, target_database: database, kind: 'vacuum', task: JSON.stringify({ kind: 'vacuum', schema: 'public', table: 't' }), table_key: 'public.t', status: 'running', started_by: 'gone' })
      .returning('id')
      .executeTakeFirstOrThrow()
    const jobs = await listMaintenanceJobs(target.db, state.db)
    expect(jobs.find((j) => j.id === Number(row.id))).toMatchObject({ status: 'interrupted', error: expect.stringContaining('ended') })
    expect(await requestMaintenanceCancel(target.db, state.db, Number(row.id))).toBe(false)

    let done!: (s: string) => void
    const finished = new Promise<string>((r) => (done = r))
    const id = await startMaintenanceJob(target.db, state.db, { kind: 'analyze', schema: 'public', table: 't' }, 'test', { onDone: (_id, s) => done(s) })
    expect(await finished).toBe('succeeded')
    expect(await getMaintenanceJob(state.db, id)).toMatchObject({ status: 'succeeded', statement: 'ANALYZE public.t;', startedBy: 'test', finishedAt: expect.any(Date) })
  })

  it('shows a running job with its server pid, refuses a second one on the same table, and cancels', async () => {
    await target.db.connection().execute(async (conn) => {
      await sql`begin`.execute(conn)
      await sql`lock table public.t in access exclusive mode`.execute(conn)
      const id = await startMaintenanceJob(target.db, state.db, { kind: 'vacuum', schema: 'public', table: 't' }, 'test', { pollMs: 100 })
      await waitFor(async () => (await getMaintenanceJob(state.db, id))?.pid ?? undefined, 10_000, 'the job to start')
      await expect(startMaintenanceJob(target.db, state.db, { kind: 'analyze', schema: 'public', table: 't' }, 'test')).rejects.toBeInstanceOf(MaintenanceBusyError)
      expect((await listMaintenanceJobs(target.db, state.db)).find((j) => j.id === id)).toMatchObject({ status: 'running', pid: expect.any(Number) })
      expect(await requestMaintenanceCancel(target.db, state.db, id)).toBe(true)
      await waitFor(async () => (await getMaintenanceJob(state.db, id))?.status === 'cancelled', 10_000, 'the cancel')
      await sql`rollback`.execute(conn)
    })
  })
})
