import { type Kysely, sql } from 'kysely'

/** Text columns declared to hold a fixed set of values, checked like enums. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('enum_column_set')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('schema', 'text', (c) => c.notNull())
    .addColumn('table', 'text', (c) => c.notNull())
    .addColumn('column', 'text', (c) => c.notNull())
    .addColumn('values', sql`text[]`, (c) => c.notNull().check(sql`cardinality("values") between 1 and 500`))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('enum_column_set_key', ['schema', 'table', 'column'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('enum_column_set').execute()
}
