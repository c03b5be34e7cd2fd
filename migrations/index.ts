/**
 * The DoR-Dash application's migrations, as one static index.
 *
 * A static list instead of reading the folder: the Next.js bundle, the CLI and the tests all
 * see the same list. Each entry imports its file only when asked for, so a file deleted while
 * still listed here is reported on that migration (status flag `file_missing`, refused apply)
 * instead of stopping every command and page that imports this index.
 *
 * Adding a migration:
 *   1. `npx kysely migrate:make <name>` creates `migrations/<YYYYMMDD_HHMMSS>_<name>.ts`
 *      (kysely.config.ts sets that prefix).
 *   2. Fill in `up` and a `down` that really undoes it (rollbacks are rehearsed).
 *   3. Add one entry to `dorMigrations` below, keyed by the file name without `.ts`, that
 *      imports it. Names sort by timestamp, which is the order they run in.
 * Never edit a migration that has been applied anywhere; write a new one.
 */
import { type Kysely, Migrator } from 'kysely'
import { type MigrationSource, StaticMigrationProvider } from '../lib/db/static-migration-provider'

export const dorMigrations: Record<string, MigrationSource> = {
  '20240115_093000_create_users': () => import('./20240115_093000_create_users'),
  '20240122_141500_create_meetings_and_agenda_items': () => import('./20240122_141500_create_meetings_and_agenda_items'),
  '20240205_110000_create_uploads_and_registration_requests': () => import('./20240205_110000_create_uploads_and_registration_requests'),
  '20240311_160000_convert_user_role_to_varchar': () => import('./20240311_160000_convert_user_role_to_varchar'),
  '20240402_090000_backfill_agenda_item_order_index': () => import('./20240402_090000_backfill_agenda_item_order_index'),
  '20240520_100000_add_meeting_location_and_agenda_user_index': () => import('./20240520_100000_add_meeting_location_and_agenda_user_index'),
}

// Kysely's defaults, which is what DoR-Dash's own tooling writes.
export const DOR_MIGRATION_TABLE = 'kysely_migration'
export const DOR_MIGRATION_LOCK_TABLE = 'kysely_migration_lock'

export { StaticMigrationProvider }

/** A Migrator over the DoR index and its tables, for the dashboard, the bench and tests. */
export function dorMigrator(db: Kysely<any>, migrations: Record<string, MigrationSource> = dorMigrations): Migrator {
  return new Migrator({
    db,
    provider: new StaticMigrationProvider(migrations),
    migrationTableName: DOR_MIGRATION_TABLE,
    migrationLockTableName: DOR_MIGRATION_LOCK_TABLE,
  })
}
