import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('meeting')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('title', 'varchar(200)', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('meeting_type', sql`meetingtype`, (c) => c.notNull().defaultTo('general_update'))
    .addColumn('start_time', 'timestamptz', (c) => c.notNull())
    .addColumn('end_time', 'timestamptz', (c) => c.notNull())
    .addColumn('created_by', 'integer', (c) => c.notNull().references('user.id'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz')
    .execute()

  await db.schema
    .createTable('agenda_item')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    // No REFERENCES here on purpose: production never got this foreign key, and the
    // integrity page exists to find the agenda items it let through.
    .addColumn('meeting_id', 'integer', (c) => c.notNull())
    .addColumn('user_id', 'integer', (c) => c.notNull().references('user.id'))
    .addColumn('item_type', sql`agendaitemtype`, (c) => c.notNull())
    .addColumn('title', 'varchar(200)', (c) => c.notNull())
    .addColumn('content', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz')
    .execute()
  await db.schema.createIndex('agenda_item_meeting_id_idx').on('agenda_item').column('meeting_id').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('agenda_item').execute()
  await db.schema.dropTable('meeting').execute()
}
