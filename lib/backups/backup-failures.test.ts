import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BackupFixture, backupFixture } from '../../test/backup-fixture'
import { lockTable } from '../../test/lock-table'
import { createDb } from '../db/connect'
import { resolveBackupPath } from './backup-files'
import { getBackup, listBackups } from './catalogue'
import { createBackup } from './create-backup'
import { openDownload } from './download'
import { findPgTools } from './pg-tools'
import { readBackupFreshness } from '../metrics/backup-age'
import { restoreBackup } from './restore'
import type { WorkProgress } from './types'
import { verifyBackup } from './verify'

let f: BackupFixture

beforeAll(async () => {
  f = await backupFixture('bkf')
})
afterAll(async () => f?.close())

const files = () => (fs.existsSync(f.common.dir) ? fs.readdirSync(f.common.dir) : [])

/** Starts a backup that waits on a locked table, and resolves once pg_dump runs and its .partial exists. */
async function blockedBackup(signal?: AbortSignal) {
  const locker = createDb(f.target.url, { max: 1 })
  const lock = await lockTable(locker, 'meeting')
  let pid: number | undefined
  const seen: WorkProgress[] = []
  const done = createBackup(f.state.db, { ...f.common, createdBy: 't', signal, onProgress: (p) => (seen.push(p), (pid ??= p.pid)) })
  done.catch(() => {})
  for (let i = 0; i < 200 && !(pid && files().some((x) => x.endsWith('.partial'))); i++) await new Promise((r) => setTimeout(r, 50))
  expect(pid).toBeTypeOf('number')
  return {
    pid: pid!,
    done,
    async release() {
      await lock.release()
      await locker.destroy()
    },
  }
}

describe('a backup that is stopped', () => {
  it('keeps the password out of pg_dump\'s command line and environment, in a 0600 passfile removed afterwards', async () => {
    const b = await blockedBackup()
    try {
      const password = decodeURIComponent(new URL(f.target.url).password)
      const cmdline = fs.readFileSync(`/proc/${b.pid}/cmdline`, 'utf8')
      const environ = fs.readFileSync(`/proc/${b.pid}/environ`, 'utf8').split('\0')
      expect(cmdline).not.toContain(password)
      expect(environ.join('\n')).not.toContain(password)
      const passfile = environ.find((e) => e.startsWith('PGPASSFILE='))!.slice('PGPASSFILE='.length)
      expect(fs.statSync(passfile).mode & 0o777).toBe(0o600)
      expect(fs.statSync(path.dirname(passfile)).mode & 0o777).toBe(0o700)
      await b.release()
      await b.done
      expect(fs.existsSync(passfile)).toBe(false)
    } finally {
      await b.release().catch(() => {})
    }
  })

  it('killing pg_dump mid-way leaves the backup failed and no file behind', async () => {
    const b = await blockedBackup()
    try {
      process.kill(b.pid, 'SIGKILL')
      await expect(b.done).rejects.toMatchObject({ backupCode: 'backup_failed' })
    } finally {
      await b.release()
    }
    const [last] = await listBackups(f.state.db, f.common.targetKey, { limit: 1 })
    expect(last.status).toBe('failed')
    expect(last.error).toMatch(/pg_dump was stopped by SIGKILL/)
    expect(files().filter((x) => x.endsWith('.partial') || x === last.file)).toEqual([])
  })

  it('a cancel stops pg_dump, removes the partial output and records the failure; a second backup meanwhile is refused', async () => {
    const ac = new AbortController()
    const b = await blockedBackup(ac.signal)
    try {
      await expect(createBackup(f.state.db, { ...f.common, createdBy: 'other' })).rejects.toMatchObject({
        backupCode: 'conflict',
        message: expect.stringMatching(/already running \(full, started by t at/),
      })
      ac.abort('cancelled by admin@test.local')
      await expect(b.done).rejects.toMatchObject({ backupCode: 'cancelled' })
    } finally {
      await b.release()
    }
    const [last] = await listBackups(f.state.db, f.common.targetKey, { limit: 1 })
    expect(last).toMatchObject({ status: 'failed', error: 'Cancelled: cancelled by admin@test.local' })
    expect(files().filter((x) => x.endsWith('.partial'))).toEqual([])
    expect(() => process.kill(b.pid, 0)).toThrow()
  })
})

describe('verification', () => {
  it('fails for a corrupted file and for a truncated one, and records it', async () => {
    for (const damage of ['corrupt', 'truncate'] as const) {
      const b = await createBackup(f.state.db, { ...f.common, createdBy: 't' })
      expect((await verifyBackup(f.state.db, b.id, f.common)).ok).toBe(true)
      if (damage === 'truncate') fs.truncateSync(b.path, b.sizeBytes - 100)
      else {
        const fd = fs.openSync(b.path, 'r+')
        fs.writeSync(fd, Buffer.from([0xff, 0x00, 0xff]), 0, 3, Math.floor(b.sizeBytes / 2))
        fs.closeSync(fd)
      }
      const v = await verifyBackup(f.state.db, b.id, f.common)
      expect(v.ok).toBe(false)
      expect(v.checksum.ok).toBe(false)
      expect(v.error).toMatch(/checksum does not match/)
      expect(await getBackup(f.state.db, f.common.targetKey, b.id)).toMatchObject({ verifyOk: false, verifyKind: 'checksum' })
    }
  })

  it('fails when pg_restore cannot read the archive even though the checksum matches (a file that was never an archive)', async () => {
    const b = await createBackup(f.state.db, { ...f.common, createdBy: 't' })
    fs.writeFileSync(b.path, 'not an archive')
    const { createHash } = await import('node:crypto')
    await f.state.db.updateTable('backup').set({ sha256: createHash('sha256').update('not an archive').digest('hex'), size_bytes: 14 }).where('id', '=', b.id).execute()
    const v = await verifyBackup(f.state.db, b.id, f.common)
    expect(v).toMatchObject({ ok: false, checksum: { ok: true }, contents: { ok: false } })
    expect(v.error).toMatch(/pg_restore --list exited with code 1/)
  })
})

describe('names from outside', () => {
  it('an id like ../../etc/passwd names no backup', async () => {
    for (const id of ['../../etc/passwd', '/etc/passwd', '..', '1', "'; drop table backup; --"]) {
      expect(await getBackup(f.state.db, f.common.targetKey, id)).toBeNull()
      await expect(openDownload(f.state.db, f.common.dir, { targetKey: f.common.targetKey, id })).rejects.toMatchObject({ backupCode: 'not_found' })
      await expect(verifyBackup(f.state.db, id, f.common)).rejects.toMatchObject({ backupCode: 'not_found' })
      await expect(restoreBackup(f.state.db, id, { ...f.common, into: { newDatabase: 'x' }, createdBy: 't' })).rejects.toMatchObject({ backupCode: 'not_found' })
    }
    expect(() => resolveBackupPath(f.common.dir, '../../etc/passwd')).toThrow(/No such backup/)
    expect(() => resolveBackupPath(f.common.dir, '.hidden')).toThrow(/No such backup/)
  })
})

describe('pg_dump of the server\'s version', () => {
  it('says what to install when only an older pg_dump exists', async () => {
    const fake = fs.mkdtempSync(path.join(os.tmpdir(), 'old-pg-'))
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'no-debian-'))
    try {
      fs.writeFileSync(path.join(fake, 'pg_dump'), '#!/bin/sh\necho "pg_dump (PostgreSQL) 11.22"\n', { mode: 0o755 })
      await expect(findPgTools(150018, fake, root)).rejects.toMatchObject({
        backupCode: 'tool_too_old',
        message: expect.stringMatching(/server runs PostgreSQL 15, but only older pg_dump versions were found \(11\.22 in .*\).*postgresql-client-15/s),
      })
      await expect(findPgTools(150018, path.join(fake, 'none'), root)).rejects.toMatchObject({ backupCode: 'tool_missing' })
      // An older PG_BIN_DIR is passed over for a new enough one.
      const newer = path.join(root, '16', 'bin')
      fs.mkdirSync(newer, { recursive: true })
      for (const t of ['pg_dump', 'pg_restore', 'psql']) fs.writeFileSync(path.join(newer, t), '#!/bin/sh\necho "pg_dump (PostgreSQL) 16.4"\n', { mode: 0o755 })
      expect(await findPgTools(150018, fake, root)).toMatchObject({ binDir: newer, major: 16, version: '16.4' })
    } finally {
      fs.rmSync(fake, { recursive: true, force: true })
      fs.rmSync(root, { recursive: true, force: true })
    }
  })
})

// A real full disk: a small tmpfs, which needs root (as CI and the dev machines run); elsewhere these two are skipped.
const root = process.getuid?.() === 0
describe.skipIf(!root)('a full disk', () => {
  let mnt: string
  beforeAll(async () => {
    mnt = fs.mkdtempSync(path.join(os.tmpdir(), 'dbadmin-tmpfs-'))
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m,mode=0700', 'tmpfs', mnt])
    // Rows that TOAST compresses to almost nothing but that a dump writes out whole: the estimate passes, the disk fills.
    await sql`create table filler (id int primary key, body text)`.execute(f.target.db)
    await sql`insert into filler select i, repeat('x', 200000) from generate_series(1, 300) i`.execute(f.target.db)
  })
  afterAll(async () => {
    if (mnt) execFileSync('umount', [mnt])
    fs.rmSync(mnt, { recursive: true, force: true })
    await sql`drop table if exists filler`.execute(f.target.db)
  })

  it.each([['plain', 'plain' as const, 0], ['custom', 'custom' as const, 0], ['directory', 'directory' as const, 0]])(
    'fails a %s backup cleanly when the disk fills, with no file left',
    async (_what, format, compression) => {
      const dir = path.join(mnt, 'backups')
      const before = (await listBackups(f.state.db, f.common.targetKey)).length
      await expect(createBackup(f.state.db, { ...f.common, dir, format, ...(format !== 'plain' ? { compression } : {}), createdBy: 't' })).rejects.toMatchObject({
        backupCode: 'no_space',
      })
      expect(fs.readdirSync(dir)).toEqual([])
      const all = await listBackups(f.state.db, f.common.targetKey)
      expect(all.length).toBe(before + 1)
      expect(all[0]).toMatchObject({ status: 'failed', error: expect.stringMatching(/No space left on device|disk .* is full/) })
    },
  )

  it('refuses to start when the free space is below the estimate', async () => {
    const small = fs.mkdtempSync(path.join(os.tmpdir(), 'dbadmin-tmpfs-small-'))
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', small])
    try {
      const before = (await listBackups(f.state.db, f.common.targetKey)).length
      await expect(createBackup(f.state.db, { ...f.common, dir: path.join(small, 'b'), createdBy: 't' })).rejects.toMatchObject({
        backupCode: 'no_space',
        message: expect.stringMatching(/Not enough free disk space .* needs up to .* MiB .* MiB is free/s),
      })
      expect((await listBackups(f.state.db, f.common.targetKey)).length).toBe(before)
      // Nobody watches a scheduled backup: one that cannot start is recorded failed, so that the
      // Backups page lists it and the failed-backup alert fires (the DoR-Dash script hid exactly this).
      await expect(createBackup(f.state.db, { ...f.common, dir: path.join(small, 'b'), createdBy: 'schedule', origin: 'scheduled' })).rejects.toMatchObject({ backupCode: 'no_space' })
      const [failed] = await listBackups(f.state.db, f.common.targetKey, { limit: 1 })
      expect(failed).toMatchObject({ status: 'failed', origin: 'scheduled', createdBy: 'schedule', kind: 'full', error: expect.stringMatching(/^Not enough free disk space/) })
      expect(failed.finishedAt).not.toBeNull()
      expect(await readBackupFreshness(f.state.db, f.common.targetKey)).toMatchObject({ lastFailed: true })
      // Catalogue file names are unique: a second failure in the same second is recorded too.
      await expect(createBackup(f.state.db, { ...f.common, dir: path.join(small, 'b'), createdBy: 'schedule', origin: 'scheduled' })).rejects.toMatchObject({ backupCode: 'no_space' })
      expect((await listBackups(f.state.db, f.common.targetKey)).filter((b) => b.origin === 'scheduled' && b.status === 'failed')).toHaveLength(2)
      expect(fs.readdirSync(path.join(small, 'b'))).toEqual([])
    } finally {
      execFileSync('umount', [small])
      fs.rmSync(small, { recursive: true, force: true })
    }
  })
})
