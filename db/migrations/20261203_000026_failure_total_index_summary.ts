import { type Kysely, sql } from 'kysely'

/**
 * Two tables for issue 15: the dashboard's failed queries as a counter, and the Overview's index line.
 *
 * A running total of the dashboard's failed queries per target, beside the per-minute rows of
 * 000022 (which are pruned after a day and so cannot serve as a counter): the sampler keeps it
 * with each sample and charts the difference, like the server's own cumulative counters.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('dashboard_query_failure_total')
    .addColumn('target_key', 'text', (c) => c.primaryKey())
    .addColumn('failures', 'bigint', (c) => c.notNull().check(sql`failures >= 0`))
    .execute()
  // Failures counted before the total existed start it.
  await sql`
    insert into dashboard_query_failure_total (target_key, failures)
    select target_key, sum(failures) from dashboard_query_failure group by target_key
  `.execute(db)

  // The Overview's index line (lib/overview/index-summary.ts): the Indexes page's findings counted,
  // kept with a cheap fingerprint of the index catalogue so that every Overview load need not list
  // every index again (130 ms at 1,000 tables) while nothing changed.
  await db.schema
    .createTable('overview_index_summary')
    .addColumn('target_key', 'text', (c) => c.primaryKey())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('checked_at', 'timestamptz', (c) => c.notNull())
    .addColumn('invalid', 'integer', (c) => c.notNull())
    .addColumn('duplicate', 'integer', (c) => c.notNull())
    .addColumn('unused', 'integer', (c) => c.notNull())
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('overview_index_summary').execute()
  await db.schema.dropTable('dashboard_query_failure_total').execute()
}
