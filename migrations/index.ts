/**
 * The DoR-Dash application's migrations, as one static index.
 *
 * Static imports instead of reading the folder: the Next.js bundle, the CLI and the tests
 * all see the same list, and nothing depends on files being present at run time.
 *
 * Adding a migration:
 *   1. `npx kysely migrate:make <name>` creates `migrations/<YYYYMMDD_HHMMSS>_<name>.ts`
 *      (kysely.config.ts sets that prefix).
 *   2. Fill in `up` and a `down` that really undoes it (rollbacks are rehearsed).
 *   3. Add one import and one entry to `dorMigrations` below, keyed by the file name
 *      without `.ts`. Names sort by timestamp, which is the order they run in.
 * Never edit a migration that has been applied anywhere; write a new one.
 */
import { type Kysely, type Migration, Migrator } from 'kysely'
import { StaticMigrationProvider } from '../lib/db/static-migration-provider'
import * as createUsers from './20240115_093000_create_users'
import * as createMeetingsAndAgendaItems from './20240122_141500_create_meetings_and_agenda_items'
import * as createUploadsAndRegistrationRequests from './20240205_110000_create_uploads_and_registration_requests'
import * as convertUserRoleToVarchar from './20240311_160000_convert_user_role_to_varchar'
import * as backfillAgendaItemOrderIndex from './20240402_090000_backfill_agenda_item_order_index'
import * as addMeetingLocationAndAgendaUserIndex from './20240520_100000_add_meeting_location_and_agenda_user_index'

export const dorMigrations: Record<string, Migration> = {
  '20240115_093000_create_users': createUsers,
  '20240122_141500_create_meetings_and_agenda_items': createMeetingsAndAgendaItems,
  '20240205_110000_create_uploads_and_registration_requests': createUploadsAndRegistrationRequests,
  '20240311_160000_convert_user_role_to_varchar': convertUserRoleToVarchar,
  '20240402_090000_backfill_agenda_item_order_index': backfillAgendaItemOrderIndex,
  '20240520_100000_add_meeting_location_and_agenda_user_index': addMeetingLocationAndAgendaUserIndex,
}

// Kysely's defaults, which is what DoR-Dash's own tooling writes.
export const DOR_MIGRATION_TABLE = 'kysely_migration'
export const DOR_MIGRATION_LOCK_TABLE = 'kysely_migration_lock'

export { StaticMigrationProvider }

/** A Migrator over the DoR index and its tables, for the dashboard, the bench and tests. */
export function dorMigrator(db: Kysely<any>, migrations: Record<string, Migration> = dorMigrations): Migrator {
  return new Migrator({
    db,
    provider: new StaticMigrationProvider(migrations),
    migrationTableName: DOR_MIGRATION_TABLE,
    migrationLockTableName: DOR_MIGRATION_LOCK_TABLE,
  })
}
