import { type Kysely, sql } from 'kysely'

/**
 * VACUUM, ANALYZE, REINDEX and CREATE/DROP INDEX CONCURRENTLY started from the dashboard, as jobs:
 * one row each, with the server pid running it (its progress is read live from
 * pg_stat_progress_*), a cancel flag and how it ended. One at a time per table (`table_key`).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('maintenance_job')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('target_key', 'text', (c) => c.notNull())
    .addColumn('target_database', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('vacuum', 'analyze', 'reindex', 'create-index', 'drop-index')`))
    // The task as given (schema, table or index, columns): what a queue would carry as its payload.
    .addColumn('task', 'jsonb', (c) => c.notNull())
    // "schema.table" the job works on, for one-at-a-time per table.
    .addColumn('table_key', 'text', (c) => c.notNull())
    .addColumn('statement', 'text')
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted')`),
    )
    .addColumn('pid', 'integer')
    .addColumn('started_by', 'text', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .addColumn('heartbeat_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('cancel_requested', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('duration_ms', 'integer')
    .addColumn('leftovers', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('error', 'text')
    .execute()
  await db.schema.createIndex('maintenance_job_target_idx').on('maintenance_job').columns(['target_key', 'id desc']).execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('maintenance_job').execute()
}
