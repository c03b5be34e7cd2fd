import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshStateDb } from '../../test/state-db'
import type { MigrationSource } from '../db/static-migration-provider'
import { targetIdentity } from '../db/target-identity'
import { loadMigrationSet } from './registry'
import { applyMigrations, rollbackLast } from './runner'
import { listRuns } from './run-store'
import { migrationStatus } from './status'
import { sqlMigration, type StateDb, tableNames, type TestTarget, testTarget } from './test-migration-sets'

// A path held in a variable: the import is really attempted at run time, and fails as a deleted file does.
const deleted = './20250101_000002_this_file_was_deleted'
const gone: MigrationSource = () => import(deleted)
const broken: MigrationSource = async () => {
  throw new SyntaxError("Unexpected token '}'")
}
const tables = { table: 'lazy_migration', lockTable: 'lazy_migration_lock' }
const sums = { '20250101_000001_a': 'sum:a', '20250101_000002_b': 'sum:b' }

describe('loadMigrationSet', () => {
  it('loads each migration on its own: one that cannot be loaded is flagged, not fatal', async () => {
    const set = await loadMigrationSet(
      { '20250101_000001_a': sqlMigration(sql`select 1`, sql`select 1`), '20250101_000002_b': gone, '20250101_000003_c': broken },
      sums,
      tables,
    )
    expect(set.defs.map((d) => [d.name, d.checksum, d.loadError])).toEqual([
      ['20250101_000001_a', 'sum:a', null],
      ['20250101_000002_b', 'sum:b', { code: 'file_missing', message: 'migrations/20250101_000002_b.ts is listed in migrations/index.ts but the file is missing.' }],
      ['20250101_000003_c', null, { code: 'load_failed', message: "migrations/20250101_000003_c.ts could not be loaded: Unexpected token '}'" }],
    ])
    // Running it anyway fails with the same reason instead of doing nothing.
    await expect(set.defs[1].migration.up(null as never)).rejects.toThrow('the file is missing')
  })
})

describe('a migration whose file is missing, in status and runs', () => {
  let state: StateDb
  let t: TestTarget
  beforeAll(async () => {
    state = await freshStateDb()
    t = await testTarget(state, 'lazy')
  })
  afterAll(async () => {
    await t?.drop()
    await state?.drop()
  })

  it('pending: flagged file_missing, and apply refuses it before running anything', async () => {
    const set = await loadMigrationSet({ '20250101_000001_a': sqlMigration(sql`create table a (id int)`, sql`drop table a`), '20250101_000002_b': gone }, sums, tables)
    const status = await migrationStatus(t.db, state.db, set)
    expect(status.migrations.map((m) => [m.name, m.state, m.flags.map((f) => f.code)])).toEqual([
      ['20250101_000001_a', 'pending', []],
      ['20250101_000002_b', 'pending', ['file_missing']],
    ])
    expect(status.migrations[1].flags[0].advice).toMatch(/^Restore the file from version control, or, if the migration was abandoned, remove its entry/)

    await expect(applyMigrations(t.opts(set), { all: true })).rejects.toThrow(
      'Apply is blocked: migrations/20250101_000002_b.ts is listed in migrations/index.ts but the file is missing. Restore it, or remove it from the index.',
    )
    expect(await listRuns(state.db, { targetKey: (await targetIdentity(t.db)).key, lockHeld: false, limit: 10 })).toEqual([])
    // What does not need it still runs.
    expect((await applyMigrations(t.opts(set), { next: true })).ok).toBe(true)
    expect(await tableNames(t.db, set)).toEqual(['20250101_000001_a'])
  })

  it('applied: flagged file_missing, and it cannot be rolled back', async () => {
    const set = await loadMigrationSet({ '20250101_000001_a': gone }, sums, tables)
    const [a] = (await migrationStatus(t.db, state.db, set)).migrations
    expect([a.name, a.state, a.flags.map((f) => f.code)]).toEqual(['20250101_000001_a', 'applied', ['file_missing']])
    expect(a.flags[0].advice).toMatch(/without it this migration cannot be rolled back/)
    await expect(rollbackLast(t.opts(set), '20250101_000001_a')).rejects.toThrow('20250101_000001_a cannot be rolled back: its file is missing.')
    expect(await tableNames(t.db, set)).toEqual(['20250101_000001_a'])
  })
})
