import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { freshStateDb } from '../../test/state-db'
import { targetIdentity } from '../db/target-identity'
import { migrateDemoToSecondNewest } from '../demo/prepare-demo'
import { getSnapshot } from '../schema/snapshot-store'
import { dorMigrationSet } from './registry'
import { applyMigrations, type RunOptions } from './runner'
import { listRuns } from './run-store'
import { migrationStatus } from './status'

let target: FreshDatabase
let state: Awaited<ReturnType<typeof freshStateDb>>
let opts: RunOptions

beforeAll(async () => {
  target = await freshDatabase('miglock')
  state = await freshStateDb()
  await migrateDemoToSecondNewest(target.db)
  opts = {
    targetUrl: target.url,
    state: state.db,
    set: await dorMigrationSet(),
    actor: { id: null, label: 'cli', source: 'cli' },
    lockTimeoutMs: 1500,
    statementTimeoutMs: 30_000,
  }
})
afterAll(async () => {
  await target?.drop()
  await state?.drop()
})

describe('the DoR migration while another session holds LOCK TABLE agenda_item IN ACCESS EXCLUSIVE MODE', () => {
  it('fails after lock_timeout naming the table, the blocking pid and its query; snapshots do not wait', async () => {
    const blocker = new pg.Client({ connectionString: target.url, application_name: 'psql' })
    await blocker.connect()
    try {
      const blockerPid = (await blocker.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0].pid
      await blocker.query('BEGIN')
      await blocker.query('LOCK TABLE agenda_item IN ACCESS EXCLUSIVE MODE')
      const newest = opts.set.defs.at(-1)!.name

      const started = Date.now()
      // Snapshots before and after are on (the default), as for `dbadmin migrate up`.
      const r = await applyMigrations(opts, { all: true })
      // One lock_timeout for the migration; the snapshots add no waiting of their own.
      expect(Date.now() - started).toBeLessThan(opts.lockTimeoutMs + 4000)

      expect(r.ok).toBe(false)
      expect(r.steps).toHaveLength(1)
      const error = r.steps[0].error!
      expect(error).not.toContain('timeout exceeded when trying to connect')
      expect(error.split('\n').slice(0, 2)).toEqual(['canceling statement due to lock timeout', 'SQLSTATE 55P03'])
      expect(error).toContain(`for ShareLock on table public.agenda_item, held by pid ${blockerPid} (psql, idle in transaction, for `)
      expect(error).toContain('last statement: LOCK TABLE agenda_item IN ACCESS EXCLUSIVE MODE.')
      expect(error).toContain(`select pg_cancel_backend(${blockerPid})`)

      // The history stores the same, with the schema diff of the run.
      const [run] = await listRuns(state.db, { targetKey: (await targetIdentity(target.db)).key, lockHeld: false })
      expect(run).toMatchObject({ id: r.runId, status: 'failed', error: `${newest}: ${error}` })
      expect(run.steps[0].error).toBe(error)
      expect(run.snapshotBeforeId).not.toBeNull()
      expect(run.snapshotAfterId).not.toBeNull()
      const before = await getSnapshot(state.db, run.snapshotBeforeId!)
      expect(before!.snapshot.relations.map((x) => x.name)).toContain('agenda_item')
      expect((await migrationStatus(target.db, state.db, opts.set)).pending).toEqual([newest])
    } finally {
      await blocker.end()
    }
  })
})
