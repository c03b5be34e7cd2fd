import { type Kysely, sql } from 'kysely'

/** Which roles may own which rows: editable on the Integrity page, preset for DoR-Dash. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('role_rule')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('table', 'text', (c) => c.notNull())
    .addColumn('column', 'text', (c) => c.notNull())
    .addColumn('what', 'text', (c) => c.notNull())
    .addColumn('allowed', sql`text[]`, (c) => c.notNull().check(sql`cardinality(allowed) between 1 and 100`))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('role_rule_key', ['table', 'column'])
    .execute()
  await db
    .insertInto('role_rule')
    .values([
      { table: 'meeting', column: 'created_by', what: 'meetings created', allowed: sql`array['FACULTY', 'SECRETARY', 'ADMIN']`, created_by: 'preset' },
      {
        table: 'registration_request',
        column: 'processed_by',
        what: 'registration requests processed',
        allowed: sql`array['SECRETARY', 'ADMIN', 'FACULTY']`,
        created_by: 'preset',
      },
    ])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('role_rule').execute()
}
