import { type Kysely, sql } from 'kysely'

/**
 * Health history and alerts (issue 15), keyed by the target's identity (lib/db/target-identity.ts)
 * like the other history: two servers' `dor` databases sharing one state database stay apart.
 *
 * Samples keep their derived values as one jsonb object per row rather than a column per metric:
 * metrics will be added, and a new column per metric would mean a migration each time, while the
 * rollups below aggregate any numeric key the same way.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('metric_sample')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('target_key', 'text', (c) => c.notNull())
    .addColumn('taken_at', 'timestamptz', (c) => c.notNull())
    // { name: number | null }: gauges and per-second rates, null where unknown (a gap, never a zero).
    .addColumn('metrics', 'jsonb', (c) => c.notNull())
    // The cumulative counters as read, for the next sample's deltas.
    .addColumn('counters', 'jsonb', (c) => c.notNull())
    .addColumn('postmaster_start_at', 'timestamptz')
    .addColumn('stats_reset_at', 'timestamptz')
    // Why this sample's rates are missing: 'restart', 'stats_reset', 'first' or null.
    .addColumn('counter_reset', 'text', (c) => c.check(sql`counter_reset in ('first', 'restart', 'stats_reset', 'statements_reset')`))
    // The longest running query and other detail that is not a number.
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('duration_ms', 'real')
    .execute()
  await db.schema.createIndex('metric_sample_target_idx').on('metric_sample').columns(['target_key', 'taken_at']).execute()

  await db.schema
    .createTable('metric_aggregate')
    .addColumn('target_key', 'text', (c) => c.notNull())
    .addColumn('resolution', 'text', (c) => c.notNull().check(sql`resolution in ('5m', '1h')`))
    .addColumn('bucket', 'timestamptz', (c) => c.notNull())
    .addColumn('metric', 'text', (c) => c.notNull())
    .addColumn('avg', 'float8', (c) => c.notNull())
    .addColumn('min', 'float8', (c) => c.notNull())
    .addColumn('max', 'float8', (c) => c.notNull())
    .addColumn('samples', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('metric_aggregate_pk', ['target_key', 'resolution', 'metric', 'bucket'])
    .execute()
  await db.schema.createIndex('metric_aggregate_bucket_idx').on('metric_aggregate').columns(['resolution', 'bucket']).execute()

  await db.schema
    .createTable('table_size_sample')
    .addColumn('target_key', 'text', (c) => c.notNull())
    .addColumn('taken_at', 'timestamptz', (c) => c.notNull())
    .addColumn('schema_name', 'text', (c) => c.notNull())
    .addColumn('table_name', 'text', (c) => c.notNull())
    .addColumn('total_bytes', 'bigint', (c) => c.notNull())
    .addColumn('table_bytes', 'bigint', (c) => c.notNull())
    .addColumn('index_bytes', 'bigint', (c) => c.notNull())
    .addColumn('toast_bytes', 'bigint', (c) => c.notNull())
    .addColumn('rows_estimate', 'bigint')
    .addPrimaryKeyConstraint('table_size_sample_pk', ['target_key', 'taken_at', 'schema_name', 'table_name'])
    .execute()

  // Admins' changes to the built-in rules (lib/alerts/rules.ts); a rule without a row runs on its defaults.
  await db.schema
    .createTable('alert_rule_setting')
    .addColumn('target_key', 'text', (c) => c.notNull())
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('threshold', 'float8')
    .addColumn('for_seconds', 'integer', (c) => c.check(sql`for_seconds >= 0`))
    .addColumn('severity', 'text', (c) => c.check(sql`severity in ('warning', 'critical')`))
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('alert_rule_setting_pk', ['target_key', 'rule'])
    .execute()

  // Where each rule stands now; one row per rule that has ever been pending.
  await db.schema
    .createTable('alert_state')
    .addColumn('target_key', 'text', (c) => c.notNull())
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('ok', 'pending', 'firing')`))
    .addColumn('pending_since', 'timestamptz')
    .addColumn('firing_since', 'timestamptz')
    .addColumn('value', 'float8')
    .addColumn('threshold', 'float8')
    .addColumn('message', 'text')
    .addColumn('evaluated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('acknowledged_by', 'text')
    .addColumn('acknowledged_at', 'timestamptz')
    .addColumn('silenced_until', 'timestamptz')
    .addPrimaryKeyConstraint('alert_state_pk', ['target_key', 'rule'])
    .execute()

  // The history: one row per state change that is notified (firing, resolved).
  await db.schema
    .createTable('alert_event')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('target_key', 'text', (c) => c.notNull())
    .addColumn('target_database', 'text', (c) => c.notNull())
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull().check(sql`severity in ('warning', 'critical')`))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('firing', 'resolved')`))
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('value', 'float8')
    .addColumn('threshold', 'float8')
    .addColumn('message', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('alert_event_target_idx').on('alert_event').columns(['target_key', 'at']).execute()

  await db.schema
    .createTable('notification_channel')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('target_key', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('webhook', 'email')`))
    // webhook: { url, format: 'json' | 'slack' }; email: { to: string[] }. Never a secret in here:
    // SMTP credentials come from the configuration.
    .addColumn('settings', 'jsonb', (c) => c.notNull())
    .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('notification_channel_name_uq', ['target_key', 'name'])
    .execute()

  // Each notification of an event to a channel, with its attempts: failures are shown, not lost.
  await db.schema
    .createTable('notification_delivery')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('event_id', 'bigint', (c) => c.notNull().references('alert_event.id').onDelete('cascade'))
    // A channel from the configuration has no row: it is named instead.
    .addColumn('channel_id', 'bigint', (c) => c.references('notification_channel.id').onDelete('set null'))
    .addColumn('channel_name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('sending', 'sent', 'failed')`))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .execute()
  await db.schema.createIndex('notification_delivery_event_idx').on('notification_delivery').column('event_id').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['notification_delivery', 'notification_channel', 'alert_event', 'alert_state', 'alert_rule_setting', 'table_size_sample', 'metric_aggregate', 'metric_sample']) {
    await db.schema.dropTable(t).execute()
  }
}
