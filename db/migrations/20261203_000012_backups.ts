import { type Kysely, sql } from 'kysely'

/**
 * The backup catalogue: one row per backup of a target, from the moment pg_dump starts, so that a
 * failed backup is as visible as a good one. The id is a random uuid: downloads name a backup by
 * it, never by a path, and it cannot be guessed from its neighbours. Rows are keyed by the target's
 * identity (lib/db/target-identity.ts), like the other history: two servers' `dor` databases sharing
 * one state database keep their backups apart.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('backup')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('target_key', 'text', (c) => c.notNull())
    // current_database() at backup time, for display and file names.
    .addColumn('target_database', 'text', (c) => c.notNull())
    // The running process holds an advisory lock keyed by this number (lib/jobs/liveness.ts): advisory
    // keys are integers, and the uuid is not one.
    .addColumn('job_no', 'integer', (c) => c.notNull().unique().generatedAlwaysAsIdentity())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('full', 'schema', 'data')`))
    .addColumn('format', 'text', (c) => c.notNull().check(sql`format in ('custom', 'directory', 'plain')`))
    .addColumn('origin', 'text', (c) =>
      c.notNull().check(sql`origin in ('manual', 'scheduled', 'pre_migration', 'safety', 'upload')`),
    )
    // { schemas?: string[], tables?: { schema, table }[] }; NULL for the whole database.
    .addColumn('scope', 'jsonb')
    .addColumn('compression', 'integer')
    .addColumn('jobs', 'integer')
    // A name inside the backup directory, never a path from outside it.
    .addColumn('file', 'text', (c) => c.notNull().unique())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('running', 'succeeded', 'failed', 'interrupted')`))
    .addColumn('error', 'text')
    .addColumn('size_bytes', 'bigint')
    .addColumn('sha256', 'text')
    // Directory format: each file's size and SHA-256; sha256 above is the hash of this list.
    .addColumn('manifest', 'jsonb')
    .addColumn('encrypted', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('encryption', 'text', (c) => c.check(sql`encryption in ('passphrase', 'recipients')`))
    .addColumn('server_version', 'text')
    .addColumn('tool_version', 'text')
    // [{ schema, table, rows }] counted exactly in pg_dump's own snapshot; NULL for schema-only and uploads.
    .addColumn('row_counts', 'jsonb')
    .addColumn('estimated_bytes', 'bigint')
    .addColumn('tables_total', 'integer')
    .addColumn('tables_done', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('bytes_written', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('migration_run_id', 'bigint', (c) => c.references('migration_run.id').onDelete('set null'))
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .addColumn('duration_ms', 'bigint')
    .addColumn('heartbeat_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('verified_at', 'timestamptz')
    .addColumn('verify_kind', 'text', (c) => c.check(sql`verify_kind in ('checksum', 'drill')`))
    .addColumn('verify_ok', 'boolean')
    .addColumn('verify_error', 'text')
    .addColumn('verify_detail', 'jsonb')
    .addColumn('deleted_at', 'timestamptz')
    .addColumn('deleted_by', 'text')
    .execute()
  await db.schema.createIndex('backup_target_idx').on('backup').columns(['target_key', 'started_at desc']).execute()
  // One backup of a target at a time: a second one is refused by the database itself, not by a check that races.
  await sql`create unique index backup_one_running_idx on backup (target_key) where status = 'running'`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('backup').execute()
}
