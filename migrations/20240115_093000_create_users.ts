import { type Kysely, sql } from 'kysely'

// All four enums arrive with the first release, as they did in DoR-Dash.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createType('userrole').asEnum(['STUDENT', 'FACULTY', 'SECRETARY', 'ADMIN']).execute()
  await db.schema
    .createType('meetingtype')
    .asEnum(['general_update', 'presentations_and_updates', 'other'])
    .execute()
  await db.schema
    .createType('agendaitemtype')
    .asEnum(['student_update', 'faculty_update', 'announcement', 'presentation'])
    .execute()
  await db.schema.createType('registrationstatus').asEnum(['pending', 'approved', 'rejected']).execute()

  await db.schema
    .createTable('user')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('username', 'varchar(50)', (c) => c.notNull().unique())
    .addColumn('email', 'varchar(255)', (c) => c.notNull().unique())
    .addColumn('full_name', 'varchar(100)')
    .addColumn('hashed_password', 'varchar(255)', (c) => c.notNull())
    .addColumn('role', sql`userrole`, (c) => c.notNull().defaultTo('STUDENT'))
    // Profile pictures live in the row; the dashboard must never SELECT * this table.
    .addColumn('avatar', 'bytea')
    .addColumn('is_active', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz')
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('user').execute()
  await db.schema.dropType('registrationstatus').execute()
  await db.schema.dropType('agendaitemtype').execute()
  await db.schema.dropType('meetingtype').execute()
  await db.schema.dropType('userrole').execute()
}
