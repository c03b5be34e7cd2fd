import { type Kysely, sql } from 'kysely'

/**
 * The dashboard's own failed queries on the managed database (issue 15's "failed queries of the
 * dashboard"), counted in each process and added here per minute: the alert is judged by whichever
 * process runs the sampler, which need not be the one serving the pages whose queries failed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('dashboard_query_failure')
    .addColumn('target_key', 'text', (c) => c.notNull())
    .addColumn('minute', 'timestamptz', (c) => c.notNull())
    .addColumn('failures', 'integer', (c) => c.notNull().check(sql`failures >= 0`))
    .addColumn('last_error', 'text')
    .addPrimaryKeyConstraint('dashboard_query_failure_pk', ['target_key', 'minute'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('dashboard_query_failure').execute()
}
