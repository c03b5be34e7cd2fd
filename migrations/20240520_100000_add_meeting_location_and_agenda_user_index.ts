import type { Kysely } from 'kysely'

// Meetings moved off a single room; and "my updates" lists agenda items by author,
// which scanned the whole table without an index on user_id.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('meeting').addColumn('location', 'varchar(200)').execute()
  await db.schema.createIndex('agenda_item_user_id_idx').on('agenda_item').column('user_id').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('agenda_item_user_id_idx').execute()
  await db.schema.alterTable('meeting').dropColumn('location').execute()
}
