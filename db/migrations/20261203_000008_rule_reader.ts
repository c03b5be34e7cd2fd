import { type Kysely, sql } from 'kysely'

/**
 * Custom rules run as a read-only role of their own. When the dashboard creates that role on the
 * target, its generated password is kept here. Rules saved before then were checked only by the
 * old runner: `validation` 0 marks them for one re-check under the new one, and a rule that fails
 * it is disabled with `disabled_note` saying why.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('reader_role')
    .addColumn('role_name', 'text', (c) => c.primaryKey())
    .addColumn('password', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema
    .alterTable('integrity_rule')
    .addColumn('validation', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('disabled_note', 'text')
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('integrity_rule').dropColumn('validation').dropColumn('disabled_note').execute()
  await db.schema.dropTable('reader_role').execute()
}
