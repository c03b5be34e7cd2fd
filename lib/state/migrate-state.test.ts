import { Migrator } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { STATE_MIGRATION_LOCK_TABLE, STATE_MIGRATION_TABLE, stateMigrations } from '@/db/migrations'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { StaticMigrationProvider } from '../db/static-migration-provider'
import { migrateStateDb } from './migrate-state'

let state: FreshDatabase
beforeAll(async () => {
  state = await freshDatabase('migstate')
})
afterAll(async () => state?.drop())

describe('migrateStateDb', () => {
  it('applies a migration merged after a later-numbered one already ran (branches merge in any order)', async () => {
    // A state database that ran main before the backups branch was merged: 000013 applied, 000012 not yet there.
    const names = Object.keys(stateMigrations).sort()
    const late = '20261203_000012_backups'
    // Migrations that build on its table arrived with it (or after it): left out of the earlier run too.
    const buildOnIt = ['20261203_000023_backup_jobs']
    const missing = [late, ...buildOnIt]
    expect(names.indexOf(late)).toBeLessThan(names.length - 1)
    const earlier = new Migrator({
      db: state.db,
      provider: new StaticMigrationProvider(Object.fromEntries(Object.entries(stateMigrations).filter(([name]) => !missing.includes(name)))),
      migrationTableName: STATE_MIGRATION_TABLE,
      migrationLockTableName: STATE_MIGRATION_LOCK_TABLE,
    })
    const { error } = await earlier.migrateToLatest()
    if (error) throw error

    expect(await migrateStateDb(state.db)).toEqual(missing)
    const applied = await state.db.selectFrom(STATE_MIGRATION_TABLE).select('name').execute()
    expect(applied.map((r) => r.name).sort()).toEqual(names)
    expect(await migrateStateDb(state.db)).toEqual([])
  })
})
