import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { loadConfig } from '../config'
import { dumpDatabase } from './pg-dump-file'

let target: FreshDatabase
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dump-'))

beforeAll(async () => {
  target = await freshDatabase('dump')
  await sql`create table secret_note (id int primary key, body text)`.execute(target.db)
  await sql`insert into secret_note values (1, 'SECRET-TOKEN-ABC123')`.execute(target.db)
})
afterAll(async () => {
  await target?.drop()
  fs.rmSync(root, { recursive: true, force: true })
})

describe('dumpDatabase', () => {
  it('writes the dump 0600 in a 0700 directory, whatever the umask and the directory was', async () => {
    const backups = path.join(root, 'backups')
    fs.mkdirSync(backups, { mode: 0o755 })
    const umask = process.umask(0o022)
    try {
      const file = path.join(backups, 'pre-migration.dump')
      const result = await dumpDatabase(target.url, loadConfig({}).PG_BIN_DIR, file)
      expect(result.bytes).toBeGreaterThan(0)
      expect(fs.statSync(file).mode & 0o777).toBe(0o600)
      expect(fs.statSync(backups).mode & 0o777).toBe(0o700)
    } finally {
      process.umask(umask)
    }
  })

  it('leaves no file behind when pg_dump fails', async () => {
    const file = path.join(root, 'backups', 'failed.dump')
    const url = target.url.replace(/\/[^/?]+(\?|$)/, '/no_such_database$1')
    await expect(dumpDatabase(url, loadConfig({}).PG_BIN_DIR, file)).rejects.toThrow(/pg_dump failed/)
    expect(fs.existsSync(file)).toBe(false)
  })
})
