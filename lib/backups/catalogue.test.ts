import { type ChildProcess, spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BackupFixture, backupFixture } from '../../test/backup-fixture'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { lockTable } from '../../test/lock-table'
import { ROOT } from '../../test/run-command'
import { createDb } from '../db/connect'
import { targetIdentity } from '../db/target-identity'
import { getBackup, listBackups } from './catalogue'
import { createBackup } from './create-backup'
import { deleteBackup } from './delete-backup'
import { openDownload } from './download'
import { restoreDrill } from './drill'
import { restoreBackup } from './restore'
import { verifyBackup } from './verify'

// The catalogue is filed by the target's identity (lib/db/target-identity.ts), and a running
// backup is alive exactly while its process holds its liveness lock (lib/jobs/liveness.ts).
let f: BackupFixture
let other: FreshDatabase
let otherKey: string
const children: ChildProcess[] = []

beforeAll(async () => {
  ;[f, other] = await Promise.all([backupFixture('bkc'), freshDatabase('bkc_other')])
  await sql`create table note (id int primary key, body text)`.execute(other.db)
  await sql`insert into note values (1, 'another target')`.execute(other.db)
  otherKey = (await targetIdentity(other.db)).key
})
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL')
  await other?.drop()
  await f?.close()
})

/** Starts test/stuck-backup.ts, which waits on a table the caller has locked; resolves with pg_dump's pid. */
async function stuckBackup(): Promise<{ child: ChildProcess; dumpPid: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/stuck-backup.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TARGET_URL: f.target.url,
      STATE_URL: f.state.url,
      BACKUP_DIR: f.common.dir,
      PG_BIN_DIR: f.common.pgBinDir,
    } as unknown as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let out = ''
  let err = ''
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()))
  const dumpPid = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the stuck backup did not start: ${err}`)), 30_000)
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString()
      const m = /stuck (\d+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(Number(m[1]))
      }
    })
    child.on('exit', (code) => reject(new Error(`the stuck backup exited (${code}): ${err}`)))
  })
  return { child, dumpPid }
}

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

describe('the backup catalogue', () => {
  it("keeps each target's backups to itself: another target's backup is neither listed nor found", async () => {
    const mine = await createBackup(f.state.db, { ...f.common, createdBy: 't' })
    const theirs = await createBackup(f.state.db, { ...f.common, targetUrl: other.url, createdBy: 't' })
    expect(otherKey).not.toBe(f.common.targetKey)
    const listed = (await listBackups(f.state.db, f.common.targetKey)).map((b) => b.id)
    expect(listed).toContain(mine.id)
    expect(listed).not.toContain(theirs.id)
    expect((await listBackups(f.state.db, otherKey)).map((b) => b.id)).toEqual([theirs.id])
    expect(await getBackup(f.state.db, otherKey, theirs.id)).toMatchObject({ targetKey: otherKey, status: 'succeeded' })
    expect(await getBackup(f.state.db, f.common.targetKey, theirs.id)).toBeNull()

    const notFound = { backupCode: 'not_found' }
    await expect(openDownload(f.state.db, f.common.dir, { targetKey: f.common.targetKey, id: theirs.id })).rejects.toMatchObject(notFound)
    await expect(verifyBackup(f.state.db, theirs.id, f.common)).rejects.toMatchObject(notFound)
    await expect(restoreBackup(f.state.db, theirs.id, { ...f.common, into: { newDatabase: 'bkc_never' }, createdBy: 't' })).rejects.toMatchObject(notFound)
    await expect(restoreDrill(f.state.db, theirs.id, f.common)).rejects.toMatchObject(notFound)
    await expect(deleteBackup(f.state.db, theirs.id, { ...f.common, deletedBy: 't' })).rejects.toMatchObject(notFound)
    expect(fs.existsSync(theirs.path)).toBe(true)
    expect((await openDownload(f.state.db, f.common.dir, { targetKey: otherKey, id: theirs.id })).status).toBe(200)
  })

  it('a backup whose process is killed reads as interrupted at once, blocks no new backup, and its partial file goes', async () => {
    const locker = createDb(f.target.url, { max: 1 })
    const lock = await lockTable(locker, 'meeting')
    let dumpPid = 0
    let running
    try {
      const stuck = await stuckBackup()
      dumpPid = stuck.dumpPid
      ;[running] = await listBackups(f.state.db, f.common.targetKey, { limit: 1 })
      expect(running).toMatchObject({ status: 'running', createdBy: 'stuck@test.local' })
      expect(fs.existsSync(path.join(f.common.dir, `${running.file}.partial`))).toBe(true)
      // One backup per target at a time, while its process lives; another target's is not held up.
      await expect(createBackup(f.state.db, { ...f.common, createdBy: 't' })).rejects.toMatchObject({ backupCode: 'conflict' })
      await createBackup(f.state.db, { ...f.common, targetUrl: other.url, createdBy: 't' })

      const exited = new Promise((resolve) => stuck.child.once('exit', resolve))
      stuck.child.kill('SIGKILL')
      await exited
      const started = Date.now()
      // Read as interrupted as soon as the server has seen the session go: no heartbeat to wait out.
      const seen = await within(5_000, async () => {
        const b = await getBackup(f.state.db, f.common.targetKey, running!.id)
        if (b?.status !== 'interrupted') throw new Error(`still ${b?.status}`)
        return b
      })
      expect(Date.now() - started).toBeLessThan(5_000)
      expect(seen.status).toBe('interrupted')
    } finally {
      // pg_dump is in a process group of its own; the killed process cannot stop it.
      if (dumpPid) {
        try {
          process.kill(-dumpPid, 'SIGKILL')
        } catch {
          // already gone
        }
      }
      await lock.release()
      await locker.destroy()
    }
    const { rows } = await sql<{ status: string; finished: boolean; error: string }>`
      select status, finished_at is not null as finished, error from backup where id = ${running!.id}`.execute(f.state.db)
    expect(rows[0]).toEqual({ status: 'interrupted', finished: true, error: 'Its process ended before it finished (the server or the CLI stopped).' })
    const next = await createBackup(f.state.db, { ...f.common, createdBy: 't' })
    expect(next.status).toBe('succeeded')
    expect(fs.existsSync(path.join(f.common.dir, `${running!.file}.partial`))).toBe(false)
  })
})
