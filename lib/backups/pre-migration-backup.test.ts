import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { freshStateDb } from '../../test/state-db'
import { loadConfig } from '../config'
import { targetIdentity } from '../db/target-identity'
import { createRun } from '../migrations/run-store'
import { backupDirectory, preMigrationBackup } from './pre-migration-backup'

let target: FreshDatabase
let state: Awaited<ReturnType<typeof freshStateDb>>
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dump-'))

beforeAll(async () => {
  target = await freshDatabase('dump')
  state = await freshStateDb()
  await sql`create table secret_note (id int primary key, body text)`.execute(target.db)
  await sql`insert into secret_note values (1, 'SECRET-TOKEN-ABC123')`.execute(target.db)
})
afterAll(async () => {
  await target?.drop()
  await state?.drop()
  fs.rmSync(root, { recursive: true, force: true })
})

async function newRun(): Promise<number> {
  return createRun(state.db, { kind: 'apply', target: await targetIdentity(target.db), actor: { label: 'admin@test.local', source: 'dashboard' } })
}

describe('preMigrationBackup', () => {
  it('writes the dump 0600 in a 0700 directory, whatever the umask and the directory was', async () => {
    const backups = backupDirectory(root)
    fs.mkdirSync(backups, { mode: 0o755 })
    fs.chmodSync(backups, 0o755)
    const umask = process.umask(0o022)
    try {
      const runId = await newRun()
      const result = await preMigrationBackup(state.db, { targetUrl: target.url, pgBinDir: loadConfig({}).PG_BIN_DIR, dataPath: root, runId, createdBy: 'admin@test.local' })
      expect(result.bytes).toBeGreaterThan(0)
      expect(path.dirname(result.path)).toBe(backups)
      expect(fs.statSync(result.path).mode & 0o777).toBe(0o600)
      expect(fs.statSync(backups).mode & 0o777).toBe(0o700)
      const row = await state.db.selectFrom('backup').selectAll().where('id', '=', result.id).executeTakeFirstOrThrow()
      expect(row).toMatchObject({ origin: 'pre_migration', status: 'succeeded', migration_run_id: runId })
    } finally {
      process.umask(umask)
    }
  })

  it('leaves no file behind when pg_dump cannot reach the database', async () => {
    const before = fs.readdirSync(backupDirectory(root))
    const url = target.url.replace(/\/[^/?]+(\?|$)/, '/no_such_database$1')
    await expect(
      preMigrationBackup(state.db, { targetUrl: url, pgBinDir: loadConfig({}).PG_BIN_DIR, dataPath: root, runId: await newRun(), createdBy: 'admin@test.local' }),
    ).rejects.toThrow(/no_such_database/)
    expect(fs.readdirSync(backupDirectory(root))).toEqual(before)
  })
})
