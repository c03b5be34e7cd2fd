import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  // References without a FOREIGN KEY, kept by the dashboard: accepted ones are checked like
  // foreign keys; dismissed suggestions are remembered so they are not suggested again.
  await db.schema
    .createTable('soft_relation')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('schema', 'text', (c) => c.notNull())
    .addColumn('table', 'text', (c) => c.notNull())
    .addColumn('columns', sql`text[]`, (c) => c.notNull())
    .addColumn('ref_schema', 'text', (c) => c.notNull())
    .addColumn('ref_table', 'text', (c) => c.notNull())
    .addColumn('ref_columns', sql`text[]`, (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('accepted', 'dismissed')`))
    .addColumn('origin', 'text', (c) => c.notNull().check(sql`origin in ('preset', 'manual', 'suggestion')`))
    .addColumn('note', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('soft_relation_key', ['schema', 'table', 'columns', 'ref_schema', 'ref_table', 'ref_columns'])
    .addCheckConstraint(
      'soft_relation_columns',
      sql`cardinality(columns) between 1 and 32 and cardinality(columns) = cardinality(ref_columns)`,
    )
    .execute()
  // DoR-Dash's two references that have no FOREIGN KEY in production.
  await db
    .insertInto('soft_relation')
    .values([
      {
        schema: 'public',
        table: 'agenda_item',
        columns: sql`array['meeting_id']`,
        ref_schema: 'public',
        ref_table: 'meeting',
        ref_columns: sql`array['id']`,
        status: 'accepted',
        origin: 'preset',
        note: 'DoR-Dash: agenda items belong to a meeting; production has no foreign key',
        created_by: 'preset',
      },
      {
        schema: 'public',
        table: 'fileupload',
        columns: sql`array['agenda_item_id']`,
        ref_schema: 'public',
        ref_table: 'agenda_item',
        ref_columns: sql`array['id']`,
        status: 'accepted',
        origin: 'preset',
        note: 'DoR-Dash: uploads may belong to an agenda item; the foreign key was missing for weeks',
        created_by: 'preset',
      },
    ])
    .execute()

  await db.schema
    .createTable('integrity_run')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('target_database', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('queued', 'running', 'succeeded', 'failed', 'cancelled')`),
    )
    .addColumn('trigger', 'text', (c) => c.notNull().check(sql`trigger in ('manual', 'schedule', 'cli')`))
    .addColumn('started_by', 'text', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .addColumn('checks_total', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('checks_done', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('current_check', 'text')
    .addColumn('cancel_requested', 'boolean', (c) => c.notNull().defaultTo(false))
    // Bumped after every check: a 'running' run whose heartbeat stopped belongs to a dead process.
    .addColumn('heartbeat_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('error', 'text')
    .execute()
  await db.schema.createIndex('integrity_run_db_idx').on('integrity_run').columns(['target_database', 'id desc']).execute()

  await db.schema
    .createTable('integrity_finding')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('run_id', 'bigint', (c) => c.notNull().references('integrity_run.id').onDelete('cascade'))
    .addColumn('check', 'text', (c) => c.notNull())
    /** Stable identity of what was checked, to follow one check across runs. */
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('finding', 'jsonb', (c) => c.notNull())
    .addColumn('count', 'bigint')
    .addColumn('error', 'text')
    .addColumn('duration_ms', 'integer', (c) => c.notNull().defaultTo(0))
    .execute()
  await db.schema.createIndex('integrity_finding_run_idx').on('integrity_finding').column('run_id').execute()
  await db.schema.createIndex('integrity_finding_key_idx').on('integrity_finding').columns(['key', 'run_id']).execute()

  // Admins' own rules: a SELECT returning violating rows, run read-only with a timeout.
  await db.schema
    .createTable('integrity_rule')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('description', 'text')
    .addColumn('query', 'text', (c) => c.notNull())
    .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('integrity_rule').execute()
  await db.schema.dropTable('integrity_finding').execute()
  await db.schema.dropTable('integrity_run').execute()
  await db.schema.dropTable('soft_relation').execute()
}
