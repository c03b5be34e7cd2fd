import { type ChildProcess, spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { lockTable } from '../../test/lock-table'
import { ROOT } from '../../test/run-command'
import { freshStateDb } from '../../test/state-db'
import { createDb } from '../db/connect'
import { targetIdentity } from '../db/target-identity'
import { buildDemoDatabase } from '../demo/prepare-demo'
import { startFixJob, startRestoreJob } from '../integrity/fix-job'
import { manifestPath, restoreFix } from '../integrity/fix-orphans'
import { activeFixJob, FixJobBusyError, getFixJob } from '../integrity/fix-store'
import { IntegrityRunBusyError, startIntegrityRun } from '../integrity/run-job'
import { activeIntegrityRun, getIntegrityRun, listIntegrityRuns, requestCancel } from '../integrity/run-store'
import { isJobAlive, markDeadJobs, openJobLiveness } from './liveness'

// A job's process that dies (kill -9) must be seen as dead at once, through its free advisory
// lock, not after a heartbeat times out: its row is marked interrupted in the database, it blocks
// nothing, and what it left half-written is cleaned up.
let target: FreshDatabase
let state: FreshDatabase
let locker: Kysely<any>
let targetKey: string
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'liveness-'))
const uploads = { schema: 'public', table: 'fileupload', columns: ['agenda_item_id'], refSchema: 'public', refTable: 'agenda_item', refColumns: ['id'] }
const children: ChildProcess[] = []

beforeAll(async () => {
  ;[target, state] = await Promise.all([freshDatabase('liveness'), freshStateDb()])
  targetKey = (await targetIdentity(target.db)).key
  locker = createDb(target.url, { max: 1 })
  await buildDemoDatabase(target.db)
})
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL')
  await locker?.destroy()
  await target?.drop()
  await state?.drop()
  fs.rmSync(dir, { recursive: true, force: true })
})

/** Starts test/stuck-job.ts and waits until it says it is mid-way; returns its job id. */
async function stuckJob(kind: 'fix' | 'run', env: Record<string, string> = {}): Promise<{ child: ChildProcess; id: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/stuck-job.ts', kind], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TARGET_URL: target.url, STATE_URL: state.url, ...env } as unknown as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let out = ''
  let err = ''
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()))
  const id = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the stuck ${kind} did not start: ${err}`)), 30_000)
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString()
      const m = /stuck (\d+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(Number(m[1]))
      }
    })
    child.on('exit', (code) => reject(new Error(`the stuck ${kind} exited (${code}): ${err}`)))
  })
  return { child, id }
}

async function kill9(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGKILL')
  await exited
}

/** The server notices a killed client's closed socket within moments; far below any heartbeat timeout. */
async function within<T>(ms: number, attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    try {
      return await attempt()
    } catch (e) {
      if (Date.now() > deadline) throw e
      await new Promise((r) => setTimeout(r, 50))
    }
  }
}

describe('job liveness', () => {
  it('is the advisory lock held by a session of its own: alive while held, dead once released', async () => {
    const { rows } = await sql<{ id: string }>`
      insert into integrity_run (target_database, target_key, status, trigger, started_by)
      values ('elsewhere', ${targetKey}, 'running', 'cli', 'a'), ('elsewhere', ${targetKey}, 'running', 'cli', 'b')
      returning id`.execute(state.db)
    const [held, orphan] = rows.map((r) => Number(r.id))
    const liveness = await openJobLiveness(state.db, 'test')
    await liveness.hold('integrity_run', held)
    expect(await isJobAlive(state.db, 'integrity_run', held)).toBe(true)
    // The same id in the other table is another key.
    expect(await isJobAlive(state.db, 'integrity_fix', held)).toBe(false)
    expect((await markDeadJobs(state.db, 'integrity_run')).map((r) => Number(r.id))).toEqual([orphan])
    expect(await requestCancel(state.db, held, targetKey)).toBe(true)
    expect(await requestCancel(state.db, orphan, targetKey)).toBe(false)
    await liveness.release()
    expect(liveness.lost).toBe(false)
    expect(await isJobAlive(state.db, 'integrity_run', held)).toBe(false)
    const { rows: after } = await sql<{ id: string; status: string; finished: boolean; error: string }>`
      select id, status, finished_at is not null as finished, error from integrity_run where id in (${held}, ${orphan}) order by id`.execute(state.db)
    // Only read: the first reader marks it.
    expect(after.map((r) => r.status)).toEqual(['running', 'interrupted'])
    expect((await getIntegrityRun(state.db, held))?.status).toBe('interrupted')
    const { rows: stored } = await sql<{ status: string; finished: boolean; error: string }>`
      select status, finished_at is not null as finished, error from integrity_run where id = ${held}`.execute(state.db)
    expect(stored[0]).toEqual({ status: 'interrupted', finished: true, error: 'Its process ended before it finished (the server or the CLI stopped).' })
  })

  it('a fix killed while saving blocks no new fix, is interrupted in the database, and leaves no partial file', async () => {
    const file = path.join(dir, 'killed.jsonl')
    const { child, id } = await stuckJob('fix', { FIX_FILE: file })
    // While its process lives, it is running and blocks others.
    expect((await activeFixJob(state.db, targetKey))?.id).toBe(id)
    await expect(
      startFixJob(target.db, state.db, { relation: uploads, mode: 'set_null', file: path.join(dir, 'blocked.jsonl'), total: 15, startedBy: 'admin@test.local' }),
    ).rejects.toBeInstanceOf(FixJobBusyError)
    expect(fs.readFileSync(file, 'utf8').trim().split('\n').length).toBeGreaterThan(0)
    expect(fs.existsSync(manifestPath(file))).toBe(false)

    await kill9(child)
    const started = Date.now()
    const next = await within(5_000, () =>
      startFixJob(target.db, state.db, { relation: uploads, mode: 'set_null', file: path.join(dir, 'next.jsonl'), total: 15, startedBy: 'admin@test.local' }),
    )
    expect(Date.now() - started).toBeLessThan(5_000)
    const { rows } = await sql<{ status: string; finished: boolean }>`
      select status, finished_at is not null as finished from integrity_fix where id = ${id}`.execute(state.db)
    expect(rows[0]).toEqual({ status: 'interrupted', finished: true })
    // Its incomplete copy was removed when it was found dead; nothing had changed yet.
    expect(fs.existsSync(file)).toBe(false)
    expect(await getFixJob(state.db, id)).toMatchObject({ status: 'interrupted', phase: 'saving' })
    await expect(startRestoreJob(target.db, state.db, { fixId: id, startedBy: 'admin@test.local' })).rejects.toThrow(
      `Fix #${id} stopped while saving rows, before changing any: there is nothing to restore.`,
    )
    await within(30_000, async () => {
      const j = await getFixJob(state.db, next)
      if (j?.status !== 'succeeded') throw new Error(`fix #${next} is ${j?.status}`)
    })
  })

  it('refuses to restore from a file without its manifest, saying why, instead of ENOENT', async () => {
    const file = path.join(dir, 'partial.jsonl')
    fs.writeFileSync(file, '{"row": {"id": 1}, "record": "(1)"}\n')
    await expect(restoreFix(target.db, file)).rejects.toThrow(
      `${file} is incomplete: it has no manifest (partial.jsonl.meta.json), so the fix that wrote it stopped while saving rows, before it changed any. There is nothing to restore from it; delete it.`,
    )
    await expect(restoreFix(target.db, path.join(dir, 'none.jsonl'))).rejects.toThrow(`There is no file ${path.join(dir, 'none.jsonl')}.`)
  })

  it('an integrity run whose process was killed is interrupted at once and blocks no new run', async () => {
    // Its first check waits on this lock, so the run is mid-way when killed.
    const lock = await lockTable(locker, 'agenda_item')
    try {
      const { child, id } = await stuckJob('run')
      expect((await activeIntegrityRun(state.db, targetKey))?.id).toBe(id)
      await expect(startIntegrityRun(target.db, state.db, { startedBy: 'admin@test.local', trigger: 'manual' })).rejects.toBeInstanceOf(IntegrityRunBusyError)
      await kill9(child)
      await within(5_000, async () => {
        if (await activeIntegrityRun(state.db, targetKey)) throw new Error('still active')
      })
      const { rows } = await sql<{ status: string }>`select status from integrity_run where id = ${id}`.execute(state.db)
      expect(rows[0].status).toBe('interrupted')
      expect((await listIntegrityRuns(state.db, { targetKey })).find((r) => r.id === id)?.status).toBe('interrupted')
    } finally {
      await lock.release()
    }
    const next = await startIntegrityRun(target.db, state.db, { startedBy: 'admin@test.local', trigger: 'manual' })
    await within(30_000, async () => {
      const r = await getIntegrityRun(state.db, next)
      if (r?.status !== 'succeeded') throw new Error(`run #${next} is ${r?.status}`)
    })
  })
})
