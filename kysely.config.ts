import { defineConfig } from 'kysely-ctl'
import pg from 'pg'
import {
  DOR_MIGRATION_LOCK_TABLE,
  DOR_MIGRATION_TABLE,
  StaticMigrationProvider,
  dorMigrations,
} from './migrations/index'

// kysely-ctl drives the managed DoR-Dash database, never the dashboard's own state database.
function targetDatabaseUrl(): string {
  const url = process.env.DATABASE_URL
  if (!url) throw new Error('kysely-ctl needs DATABASE_URL (the target database)')
  return url
}

// Same shape as the existing file names: 20240115_093000_create_users.ts (UTC).
function timestampPrefix(): string {
  const iso = new Date().toISOString() // 2024-01-15T09:30:00.000Z
  return `${iso.slice(0, 10).replaceAll('-', '')}_${iso.slice(11, 19).replaceAll(':', '')}_`
}

export default defineConfig({
  dialect: 'pg',
  // A factory, so `migrate:make` works without a database and the error appears only
  // when a command actually connects.
  dialectConfig: () => ({ pool: new pg.Pool({ connectionString: targetDatabaseUrl(), max: 1 }) }),
  migrations: {
    provider: new StaticMigrationProvider(dorMigrations),
    migrationTableName: DOR_MIGRATION_TABLE,
    migrationLockTableName: DOR_MIGRATION_LOCK_TABLE,
    getMigrationPrefix: timestampPrefix,
  },
})
