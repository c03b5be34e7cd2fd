import { type Kysely, sql } from 'kysely'

/**
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
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('dashboard_query_failure_total').execute()
}
