import { type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { freshStateDb } from '../../test/state-db'
import { startTestJobs } from '../../test/test-jobs'
import { readBackupProgress } from '../backups/backup-progress'
import { type TargetIdentity, targetIdentity } from '../db/target-identity'
import { FIXES_SHOWN, readIntegrityProgress } from '../integrity/progress'
import { listMaintenanceJobs } from '../performance/maintenance-store'
import { markDeadJobs } from './dead-jobs'
import type { JobSystem } from './job-system'
import { listJobViews } from './job-list'

// What the polling routes read every 1.5 s (/api/backups/progress, /api/integrity/progress,
// /api/jobs, /api/performance/maintenance): reads only. Dead workers' jobs are the sweep's.
let target: FreshDatabase
let state: FreshDatabase
let identity: TargetIdentity
let jobs: JobSystem | undefined

beforeAll(async () => {
  ;[target, state] = await Promise.all([freshDatabase('polls'), freshStateDb()])
  identity = await targetIdentity(target.db)
})
afterAll(async () => {
  await jobs?.stop(5_000)
  await target?.drop()
  await state?.drop()
})

/** A job as a worker that died left it: running, no session holding its liveness lock. */
async function deadJob(kind: string): Promise<number> {
  const { rows } = await sql<{ id: string }>`
    insert into job (kind, queue, target_key, target_database, subject, state, trigger, started_by, started_at, attempts, progress_done, progress_total)
    values (${kind}, 'q', ${identity.key}, ${identity.database}, ${identity.database}, 'running', 'manual', 'admin@test.local', now(), 1, 3, 10)
    returning id`.execute(state.db)
  return Number(rows[0].id)
}

/** Runs `read` in a read-only transaction: any write it tries (an UPDATE matching nothing too) fails. */
function readOnly<T>(read: (db: Kysely<any>) => Promise<T>): Promise<T> {
  return state.db.transaction().execute(async (trx) => {
    await sql`set transaction read only`.execute(trx)
    return read(trx)
  })
}

const stateOf = async (id: number) => (await state.db.selectFrom('job').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state

describe('polling routes', () => {
  it('write nothing, not even when a job of a dead worker shows as running', async () => {
    const [run, backup] = [await deadJob('integrity.run'), await deadJob('backup.full')]
    // The harness catches a write: marking dead jobs is one.
    await expect(readOnly((db) => markDeadJobs(db))).rejects.toThrow(/read-only transaction/)

    const backups = await readOnly((db) => readBackupProgress(db, identity.key))
    expect(backups).toMatchObject({ running: true, states: { [backup]: 'running' }, progress: { [backup]: { done: 3, total: 10 } } })
    const integrity = await readOnly((db) => readIntegrityProgress(db, identity, { limit: FIXES_SHOWN }))
    expect(integrity).toMatchObject({ latest: null, fixes: [] })
    const listed = await readOnly((db) => listJobViews(db, identity.key, 'viewer', { kind: undefined, state: undefined }))
    expect(listed.map((j) => [j.id, j.state])).toEqual([
      [backup, 'running'],
      [run, 'running'],
    ])
    expect(await readOnly((db) => listMaintenanceJobs(target.db, db, identity.key))).toEqual([])
    // The polls left both as they were.
    expect([await stateOf(run), await stateOf(backup)]).toEqual(['running', 'running'])
  })

  it('still end: the job system’s sweep marks the dead worker’s jobs, and the next poll shows it', async () => {
    jobs = await startTestJobs(target, state)
    const dead = await deadJob('integrity.run')
    const deadline = Date.now() + 10_000
    // The sweep runs every 500 ms in test job systems (5 s in the web server's).
    while ((await stateOf(dead)) === 'running' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    expect(await stateOf(dead)).toBe('interrupted')
    const listed = await readOnly((db) => listJobViews(db, identity.key, 'viewer', { kind: 'integrity.run', state: undefined }))
    expect(listed.find((j) => j.id === dead)).toMatchObject({ state: 'interrupted', error: expect.stringContaining('Its worker stopped') })
    const backups = await readOnly((db) => readBackupProgress(db, identity.key))
    expect(backups).toMatchObject({ running: false, states: {} })
  })
})
