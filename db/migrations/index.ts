import type { Migration, MigrationProvider } from 'kysely'
import * as m20261127_000001 from './20261127_000001_users_and_audit'
import * as m20261127_000002 from './20261127_000002_schema_snapshots'

/**
 * The dashboard's own state-database migrations, as a static index: a Next server bundle cannot
 * load migration files from disk. A new migration is one import and one entry here.
 */
export const stateMigrations: Record<string, Migration> = {
  '20261127_000001_users_and_audit': m20261127_000001,
  '20261127_000002_schema_snapshots': m20261127_000002,
}

export const STATE_MIGRATION_TABLE = 'dbadmin_migration'
export const STATE_MIGRATION_LOCK_TABLE = 'dbadmin_migration_lock'

export class StaticProvider implements MigrationProvider {
  constructor(private readonly migrations: Record<string, Migration>) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return this.migrations
  }
}
