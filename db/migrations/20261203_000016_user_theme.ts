import { type Kysely, sql } from 'kysely'

/** Each dashboard user's colour theme: the system's (the default), or always light or dark. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('app_user')
    .addColumn('theme', 'text', (c) => c.notNull().defaultTo('system').check(sql`theme in ('system', 'light', 'dark')`))
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('app_user').dropColumn('theme').execute()
}
