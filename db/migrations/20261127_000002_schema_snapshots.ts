import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('schema_snapshot')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('taken_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // No foreign key to app_user, as in audit_log: deleting a user must not delete the history.
    .addColumn('taken_by_id', 'uuid')
    .addColumn('taken_by', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('database', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('summary', 'jsonb', (c) => c.notNull())
    .addColumn('snapshot', 'jsonb', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('schema_snapshot_taken_at_idx').on('schema_snapshot').column('taken_at desc').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('schema_snapshot').execute()
}
