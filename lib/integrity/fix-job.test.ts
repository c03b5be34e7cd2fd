import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { lockTable } from '../../test/lock-table'
import { freshStateDb } from '../../test/state-db'
import { queueJobEnded, startTestJobs } from '../../test/test-jobs'
import { createDb } from '../db/connect'
import { targetIdentity } from '../db/target-identity'
import { buildDemoDatabase } from '../demo/prepare-demo'
import { markDeadJobs } from '../jobs/dead-jobs'
import { JobBusyError } from '../jobs/enqueue'
import type { JobProgress } from '../jobs/job-kind'
import type { JobSystem } from '../jobs/job-system'
import type { JobRow } from '../jobs/job-store'
import { FixRuleError, type FixMode } from './fix-file'
import { activeFixJob, type FixJob, getFixJob, listFixJobs } from './fix-store'
import { countOrphans } from './orphans'
import type { RelationRef } from './types'

// Fixes as the page starts them: queued, one at a time per table, followed and cancelled through
// the state database, and restorable from their saved rows.
let jobs: JobSystem
let onProgress: ((job: JobRow, p: JobProgress) => Promise<void>) | null = null
let target: FreshDatabase
let state: FreshDatabase
let targetKey: string
let locker: Kysely<any>
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fixjob-'))
const agenda = { schema: 'public', table: 'agenda_item', columns: ['meeting_id'], refSchema: 'public', refTable: 'meeting', refColumns: ['id'] }
const uploads = { schema: 'public', table: 'fileupload', columns: ['agenda_item_id'], refSchema: 'public', refTable: 'agenda_item', refColumns: ['id'] }
const by = 'admin@test.local'

beforeAll(async () => {
  ;[target, state] = await Promise.all([freshDatabase('fixjob'), freshStateDb()])
  targetKey = (await targetIdentity(target.db)).key
  locker = createDb(target.url, { max: 1 })
  await buildDemoDatabase(target.db)
  jobs = await startTestJobs(target, state, { onProgress: async (job, p) => onProgress?.(job, p) })
})
afterAll(async () => {
  await jobs?.stop(5_000)
  await locker?.destroy()
  await target?.drop()
  await state?.drop()
  fs.rmSync(dir, { recursive: true, force: true })
})

async function startFixJob(input: { relation: RelationRef; mode: FixMode; file: string; total: number; startedBy: string; batchSize?: number }): Promise<number> {
  const { startedBy, ...rest } = input
  return (await jobs.enqueue('integrity.fix', rest, { startedBy, trigger: 'manual' })).refId!
}

async function startRestoreJob(input: { fixId: number; startedBy: string; batchSize?: number }): Promise<number> {
  const fix = await getFixJob(state.db, input.fixId)
  const job = await jobs.enqueue('integrity.restore', { fixId: input.fixId, relation: fix?.relation ?? agenda, batchSize: input.batchSize }, { startedBy: input.startedBy, trigger: 'manual' })
  return job.refId!
}

async function requestFixCancel(id: number): Promise<boolean> {
  const fix = await getFixJob(state.db, id)
  return !!fix?.jobId && (await jobs.cancel(fix.jobId)).ok
}

const finished = (j: FixJob) => !['queued', 'running'].includes(j.status)

async function until(id: number, done: (j: FixJob) => boolean = finished): Promise<FixJob> {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    const job = await getFixJob(state.db, id)
    if (job && done(job) && (done !== finished || (await queueJobEnded(state.db, job.jobId)))) return job
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`job #${id} did not get there: ${JSON.stringify(await getFixJob(state.db, id))}`)
}

describe('fix jobs', () => {
  it('a fix cancelled from the state database stops between batches; its restore puts every changed row back', async () => {
    const file = path.join(dir, 'agenda.jsonl')
    // As an admin pressing Cancel while the second batch runs.
    onProgress = async (job, p) => {
      if (job.kind === 'integrity.fix' && p.label === 'changing rows' && p.done === 10) await requestFixCancel(job.refId!)
    }
    const id = await startFixJob({ relation: agenda, mode: 'delete', file, total: 25, startedBy: by, batchSize: 10 })
    const job = await until(id)
    onProgress = null
    expect(job).toMatchObject({ kind: 'fix', status: 'cancelled', phase: 'changing', saved: 25, changed: 10, total: 25, startedBy: by, cancelRequested: true })
    expect(job.finishedAt).toBeInstanceOf(Date)
    expect(fs.readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(25)
    expect(await countOrphans(target.db, agenda)).toBe(15)

    const restoreId = await startRestoreJob({ fixId: id, startedBy: by, batchSize: 7 })
    expect(await until(restoreId)).toMatchObject({ kind: 'restore', restoresFix: id, status: 'succeeded', phase: 'restoring', total: 25, changed: 10 })
    expect(await countOrphans(target.db, agenda)).toBe(25)
    expect((await getFixJob(state.db, id))?.restoredBy).toEqual({ id: restoreId, status: 'succeeded' })
    await expect(startRestoreJob({ fixId: id, startedBy: by })).rejects.toThrow(`Fix #${id} was already restored by #${restoreId}.`)
    await expect(startRestoreJob({ fixId: restoreId, startedBy: by })).rejects.toThrow(`#${restoreId} is a restore, not a fix.`)
    await expect(startRestoreJob({ fixId: 999_999, startedBy: by })).rejects.toBeInstanceOf(FixRuleError)
  })

  it('runs one job at a time per table, and a second start is refused at once naming the first', async () => {
    const file = path.join(dir, 'uploads.jsonl')
    // Holding a lock on fileupload keeps the first job waiting while we try a second.
    const lock = await lockTable(locker, 'fileupload')
    let id = 0
    try {
      id = await startFixJob({ relation: uploads, mode: 'set_null', file, total: 15, startedBy: by })
      await until(id, (j) => j.status === 'running')
      expect((await activeFixJob(state.db, targetKey))?.id).toBe(id)
      const second = startFixJob({ relation: uploads, mode: 'delete', file: path.join(dir, 'x.jsonl'), total: 15, startedBy: 'other@test.local' })
      await expect(second).rejects.toBeInstanceOf(JobBusyError)
      await expect(second).rejects.toThrow(
        new RegExp(`^Orphan fix is already running on public\\.fileupload\\(agenda_item_id\\) → public\\.agenda_item\\(id\\): job #\\d+ \\(fix #${id}\\), started by admin@test\\.local at .+ UTC\\. Wait for it or cancel it\\.$`),
      )
      expect(fs.existsSync(path.join(dir, 'x.jsonl'))).toBe(false)
      // A restore changes the same table: it waits for no one, it is refused naming the fix.
      await expect(startRestoreJob({ fixId: id, startedBy: by })).rejects.toThrow(new RegExp(`^Orphan fix is already running on public\\.fileupload.+\\(fix #${id}\\), started by admin@test\\.local`))
    } finally {
      await lock.release()
    }
    expect(await until(id)).toMatchObject({ status: 'succeeded', saved: 15, changed: 15, total: 15 })
    expect(await countOrphans(target.db, uploads)).toBe(0)
    const listed = await listFixJobs(state.db, { targetKey, relation: uploads })
    expect(listed.map((j) => j.id)).toEqual([id])
    expect((await listFixJobs(state.db, { targetKey })).length).toBeGreaterThanOrEqual(3)
    expect(await listFixJobs(state.db, { targetKey: 'elsewhere' })).toEqual([])
  })

  it('of two starts at the same moment, exactly one wins', async () => {
    await sql`create table race_parent (id int primary key)`.execute(target.db)
    await sql`create table race_child (id int primary key, parent_id int)`.execute(target.db)
    await sql`insert into race_child select g, g from generate_series(1, 4) g`.execute(target.db)
    const race = { schema: 'public', table: 'race_child', columns: ['parent_id'], refSchema: 'public', refTable: 'race_parent', refColumns: ['id'] }
    const lock = await lockTable(locker, 'race_child')
    let racing: PromiseSettledResult<number>[] = []
    try {
      racing = await Promise.allSettled(
        [1, 2].map((n) => startFixJob({ relation: race, mode: 'delete', file: path.join(dir, `race-${n}.jsonl`), total: 4, startedBy: by })),
      )
      expect(racing.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected'])
      expect(racing.find((r) => r.status === 'rejected')).toMatchObject({ reason: expect.any(JobBusyError) })
    } finally {
      await lock.release()
    }
    const won = racing.find((r): r is PromiseFulfilledResult<number> => r.status === 'fulfilled')!.value
    expect(await until(won)).toMatchObject({ status: 'succeeded', changed: 4 })
  })

  it('a job whose process is gone (no session holds its lock) is recorded as interrupted, no longer blocks, and can be restored', async () => {
    const file = path.join(dir, 'uploads-again.jsonl')
    // Put the orphans back by hand (the previous test fixed them), then fix them again.
    await sql`update fileupload set agenda_item_id = 900000 + id where id in (select id from fileupload where agenda_item_id is null order by id limit 3)`.execute(target.db)
    const id = await startFixJob({ relation: uploads, mode: 'set_null', file, total: 3, startedBy: by })
    await until(id)
    // As its rows would be had its worker died while changing rows: running, no lock held.
    await sql`update integrity_fix set status = 'running', finished_at = null where id = ${id}`.execute(state.db)
    await sql`update job set state = 'running', finished_at = null where ref_id = ${id} and kind = 'integrity.fix'`.execute(state.db)
    await markDeadJobs(state.db)
    expect(await getFixJob(state.db, id)).toMatchObject({ status: 'interrupted', finishedAt: expect.any(Date) })
    // Its saved rows and manifest stay: they are complete, and the restore needs them.
    expect(fs.existsSync(file)).toBe(true)
    expect(await activeFixJob(state.db, targetKey)).toBeNull()
    // Nothing would read a cancel request any more: say it is not running.
    expect(await requestFixCancel(id)).toBe(false)
    const restoreId = await startRestoreJob({ fixId: id, startedBy: by })
    expect(await until(restoreId)).toMatchObject({ status: 'succeeded', changed: 3 })
    expect(await countOrphans(target.db, uploads)).toBe(3)
  })

  it('a fix that fails records the database error; one that stopped before saving has nothing to restore', async () => {
    const file = path.join(dir, 'gone.jsonl')
    const id = await startFixJob({
      relation: { ...uploads, table: 'no_such_table' },
      mode: 'delete',
      file,
      total: 1,
      startedBy: by,
    })
    const job = await until(id)
    expect(job).toMatchObject({ status: 'failed', error: 'There is no table public.no_such_table.' })
    await expect(startRestoreJob({ fixId: id, startedBy: by })).rejects.toThrow(
      `Fix #${id} stopped while saving rows, before changing any: there is nothing to restore.`,
    )
  })

  it('keeps the row values PostgreSQL quotes in an error out of the job record, which every role can read', async () => {
    await sql`create table vault_parent (id int primary key)`.execute(target.db)
    await sql`create table vault (id int primary key, parent_id int check (parent_id is not null), api_token text)`.execute(target.db)
    await sql`insert into vault values (1, 5, 'sk_live_SECRET')`.execute(target.db)
    const rel = { schema: 'public', table: 'vault', columns: ['parent_id'], refSchema: 'public', refTable: 'vault_parent', refColumns: ['id'] }
    const id = await startFixJob({ relation: rel, mode: 'set_null', file: path.join(dir, 'vault.jsonl'), total: 1, startedBy: by })
    const job = await until(id)
    expect(job.status).toBe('failed')
    expect(job.error).toContain('violates check constraint "vault_parent_id_check"')
    expect(job.error).not.toContain('sk_live_SECRET')
  })
})
