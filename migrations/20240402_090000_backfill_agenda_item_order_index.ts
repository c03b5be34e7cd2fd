import { type Kysely, sql } from 'kysely'

// Data migration in the runbook's three steps: add nullable, backfill, then constrain.
// Existing items keep the order they were created in, numbered from 1 within a meeting.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('agenda_item').addColumn('order_index', 'integer').execute()
  await sql`
    UPDATE agenda_item AS a
    SET order_index = ranked.position
    FROM (
      SELECT id, row_number() OVER (PARTITION BY meeting_id ORDER BY created_at, id) AS position
      FROM agenda_item
    ) AS ranked
    WHERE a.id = ranked.id
  `.execute(db)
  await db.schema.alterTable('agenda_item').alterColumn('order_index', (c) => c.setNotNull()).execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('agenda_item').dropColumn('order_index').execute()
}
