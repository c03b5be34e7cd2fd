import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { freshStateDb } from '../../test/state-db'
import { migrationChecksums } from '../../migrations/manifest'
import { checksumOf } from './manifest-file'
import { dorMigrationSet } from './registry'
import { applyMigrations, type RunOptions } from './runner'
import { migrationSourceDir } from './source-checksums'
import { migrationStatus } from './status'

let target: FreshDatabase
let state: Awaited<ReturnType<typeof freshStateDb>>
const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'dor-migrations-'))
const repoDir = path.resolve(import.meta.dirname, '..', '..', 'migrations')

beforeAll(async () => {
  ;[target, state] = await Promise.all([freshDatabase('srcsum'), freshStateDb()])
  fs.cpSync(repoDir, copy, { recursive: true })
})
afterEach(() => {
  delete process.env.DBADMIN_MIGRATIONS_DIR
})
afterAll(async () => {
  fs.rmSync(copy, { recursive: true, force: true })
  await target?.drop()
  await state?.drop()
})

const opts = async (): Promise<RunOptions> => ({
  targetUrl: target.url,
  state: state.db,
  set: await dorMigrationSet(),
  actor: { id: null, label: 'cli', source: 'cli' },
  lockTimeoutMs: 2000,
  statementTimeoutMs: 30_000,
  snapshots: false,
})

describe('checksums of the migration files present at run time', () => {
  it('are found beside the code, and agree with the committed manifest', async () => {
    expect(migrationSourceDir()).toBe(repoDir)
    const set = await dorMigrationSet()
    expect(set.defs.every((d) => d.checksum === migrationChecksums[d.name] && d.manifestChecksum === undefined)).toBe(true)
  })

  it('flag an applied migration edited without regenerating the manifest, and the stale manifest', async () => {
    expect(await applyMigrations(await opts(), { all: true })).toMatchObject({ ok: true })
    const first = (await dorMigrationSet()).defs[0].name
    const file = path.join(copy, `${first}.ts`)
    fs.appendFileSync(file, '\n// edited after it was applied\n')
    process.env.DBADMIN_MIGRATIONS_DIR = copy

    const set = await dorMigrationSet()
    expect(set.defs[0]).toMatchObject({ checksum: checksumOf(fs.readFileSync(file, 'utf8')), manifestChecksum: migrationChecksums[first] })
    const s = await migrationStatus(target.db, state.db, set)
    expect(s.blockingEdits).toEqual([first])
    expect(s.migrations[0].flags.map((f) => f.code)).toEqual(['edited_after_apply', 'manifest_stale'])
    expect(s.migrations[0].flags[1].message).toBe(
      `migrations/manifest.ts records another checksum (${migrationChecksums[first].slice(0, 12)}) than the file has (${set.defs[0].checksum!.slice(0, 12)}).`,
    )
    expect(s.migrations.slice(1).every((m) => m.flags.every((f) => f.code === 'no_down'))).toBe(true)
    await expect(applyMigrations({ ...(await opts()), set }, { all: true })).rejects.toThrow(`Apply is blocked: ${first} changed after it was applied.`)

    // Put back, the file agrees with the manifest and the history again.
    fs.copyFileSync(path.join(repoDir, `${first}.ts`), file)
    expect((await migrationStatus(target.db, state.db, await dorMigrationSet())).blockingEdits).toEqual([])
  })
})
