import { type Kysely, sql } from 'kysely'

/**
 * Query-stats history (issue 14, pghero's query stats): per-queryid deltas of pg_stat_statements
 * between two readings of the health sampler, the costliest statements of each interval only.
 *
 * Deltas need the previous cumulative counters of every statement, not only of the kept ones (a
 * statement outside the top of one interval may enter the next): they are one jsonb row per target,
 * replaced at each reading, rather than thousands of rows rewritten every few minutes.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('query_stat_sample')
    .addColumn('target_key', 'text', (c) => c.notNull())
    // The interval the deltas cover, on the target's clock.
    .addColumn('since', 'timestamptz', (c) => c.notNull())
    .addColumn('taken_at', 'timestamptz', (c) => c.notNull())
    .addColumn('queryid', 'bigint', (c) => c.notNull())
    .addColumn('calls', 'bigint', (c) => c.notNull().check(sql`calls >= 0`))
    .addColumn('total_ms', 'float8', (c) => c.notNull().check(sql`total_ms >= 0`))
    .addColumn('rows', 'bigint', (c) => c.notNull().check(sql`rows >= 0`))
    .addColumn('shared_blks_hit', 'bigint', (c) => c.notNull().check(sql`shared_blks_hit >= 0`))
    .addColumn('shared_blks_read', 'bigint', (c) => c.notNull().check(sql`shared_blks_read >= 0`))
    .addPrimaryKeyConstraint('query_stat_sample_pk', ['target_key', 'queryid', 'taken_at'])
    .execute()
  await db.schema.createIndex('query_stat_sample_taken_idx').on('query_stat_sample').columns(['taken_at']).execute()

  await db.schema
    .createTable('query_stat_baseline')
    .addColumn('target_key', 'text', (c) => c.primaryKey())
    .addColumn('taken_at', 'timestamptz', (c) => c.notNull())
    .addColumn('postmaster_start_at', 'timestamptz')
    .addColumn('stats_reset_at', 'timestamptz')
    // { queryid: [calls, total_ms, rows, shared_blks_hit, shared_blks_read] }, cumulative as read.
    .addColumn('counters', 'jsonb', (c) => c.notNull())
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('query_stat_baseline').execute()
  await db.schema.dropTable('query_stat_sample').execute()
}
