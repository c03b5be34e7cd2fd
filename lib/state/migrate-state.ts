import { type Kysely, Migrator } from 'kysely'
import { STATE_MIGRATION_LOCK_TABLE, STATE_MIGRATION_TABLE, stateMigrations } from '@/db/migrations'
import { StaticMigrationProvider } from '../db/static-migration-provider'

/**
 * Brings the state database to the newest schema. Safe to run from several processes at once.
 * Migrations are numbered when a branch starts and merged when it ends, so one may arrive after a
 * higher-numbered one already ran: it is applied then, not refused as out of order.
 */
export async function migrateStateDb(db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: new StaticMigrationProvider(stateMigrations),
    migrationTableName: STATE_MIGRATION_TABLE,
    migrationLockTableName: STATE_MIGRATION_LOCK_TABLE,
    allowUnorderedMigrations: true,
  })
  const { error, results } = await migrator.migrateToLatest()
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName
    throw new Error(`State database migration ${failed ?? ''} failed: ${(error as Error).message ?? error}`, { cause: error })
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
}
