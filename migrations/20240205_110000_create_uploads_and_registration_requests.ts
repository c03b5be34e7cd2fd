import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('fileupload')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    // Nullable (an upload may belong to no agenda item) and, as in production, without a
    // foreign key: files and rows drifted apart for weeks before anyone noticed.
    .addColumn('agenda_item_id', 'integer')
    .addColumn('user_id', 'integer', (c) => c.notNull().references('user.id'))
    .addColumn('filename', 'varchar(255)', (c) => c.notNull())
    .addColumn('filepath', 'varchar(500)', (c) => c.notNull())
    .addColumn('file_size', 'bigint', (c) => c.notNull())
    .addColumn('mime_type', 'varchar(100)')
    .addColumn('uploaded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()

  await db.schema
    .createTable('registration_request')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('username', 'varchar(50)', (c) => c.notNull())
    .addColumn('email', 'varchar(255)', (c) => c.notNull())
    .addColumn('full_name', 'varchar(100)')
    // Plain text until approval: the real application's flaw, kept so the dashboard
    // learns to mask it.
    .addColumn('password', 'varchar(255)', (c) => c.notNull())
    .addColumn('status', sql`registrationstatus`, (c) => c.notNull().defaultTo('pending'))
    .addColumn('processed_by', 'integer', (c) => c.references('user.id').onDelete('set null'))
    .addColumn('processed_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('registration_request').execute()
  await db.schema.dropTable('fileupload').execute()
}
