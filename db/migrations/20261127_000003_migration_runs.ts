import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('migration_run')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) =>
      c.notNull().check(sql`kind in ('apply', 'rollback', 'dry_run', 'rehearsal', 'drift', 'replay')`),
    )
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('running', 'succeeded', 'failed', 'refused')`))
    .addColumn('target_database', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull().check(sql`source in ('dashboard', 'cli')`))
    .addColumn('started_by_id', 'uuid')
    .addColumn('started_by', 'text', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .addColumn('requested', 'jsonb')
    .addColumn('error', 'text')
    .addColumn('report', 'jsonb')
    .addColumn('snapshot_before_id', 'bigint')
    .addColumn('snapshot_after_id', 'bigint')
    .addColumn('backup_path', 'text')
    .execute()
  await db.schema.createIndex('migration_run_started_idx').on('migration_run').columns(['target_database', 'id desc']).execute()

  await db.schema
    .createTable('migration_step')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('run_id', 'bigint', (c) => c.notNull().references('migration_run.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('direction', 'text', (c) => c.notNull().check(sql`direction in ('up', 'down')`))
    .addColumn('checksum', 'text')
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('running', 'succeeded', 'failed')`))
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('duration_ms', 'integer')
    .addColumn('error', 'text')
    .execute()
  await db.schema.createIndex('migration_step_run_idx').on('migration_step').columns(['run_id', 'position']).execute()
  await db.schema.createIndex('migration_step_name_idx').on('migration_step').columns(['name', 'id desc']).execute()

  // An admin's acknowledgement that an applied migration's source changed on purpose.
  await db.schema
    .createTable('migration_ack')
    .addColumn('target_database', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('checksum', 'text', (c) => c.notNull())
    .addColumn('acknowledged_by_id', 'uuid')
    .addColumn('acknowledged_by', 'text', (c) => c.notNull())
    .addColumn('acknowledged_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('note', 'text')
    .addPrimaryKeyConstraint('migration_ack_pkey', ['target_database', 'name', 'checksum'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('migration_ack').execute()
  await db.schema.dropTable('migration_step').execute()
  await db.schema.dropTable('migration_run').execute()
}
