import { type Kysely, sql } from 'kysely'

/**
 * Orphan fixes and their restores as background jobs: the page starts one and follows its progress
 * here, a cancel is a flag the job reads between batches, and a dead process shows by its heartbeat.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('integrity_fix')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('target_database', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('fix', 'restore')`))
    // A restore points at the fix whose saved rows it puts back.
    .addColumn('restores_fix', 'bigint', (c) => c.references('integrity_fix.id').onDelete('set null'))
    .addColumn('schema', 'text', (c) => c.notNull())
    .addColumn('table', 'text', (c) => c.notNull())
    .addColumn('columns', sql`text[]`, (c) => c.notNull())
    .addColumn('ref_schema', 'text', (c) => c.notNull())
    .addColumn('ref_table', 'text', (c) => c.notNull())
    .addColumn('ref_columns', sql`text[]`, (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull().check(sql`mode in ('delete', 'set_null')`))
    .addColumn('file', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('queued', 'running', 'succeeded', 'failed', 'cancelled')`))
    .addColumn('phase', 'text')
    .addColumn('total', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('saved', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('changed', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('started_by', 'text', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .addColumn('heartbeat_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('cancel_requested', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('error', 'text')
    .execute()
  await db.schema.createIndex('integrity_fix_db_idx').on('integrity_fix').columns(['target_database', 'id desc']).execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('integrity_fix').execute()
}
