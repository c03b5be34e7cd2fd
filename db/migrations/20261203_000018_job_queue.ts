import { type Kysely, sql } from 'kysely'

/**
 * One record per background job of every kind (integrity runs, fixes, restores, migration checks,
 * and later kinds), queued through pg-boss (its own schema `pgboss`, made by pg-boss itself). The
 * queue dispatches; this row is what the Jobs page, the CLI and the kinds' own pages follow:
 * state, progress, who started it, the result, and the row it produced in its kind's own table.
 * Liveness stays an advisory lock held by the worker running the job (lib/jobs/liveness.ts), now
 * keyed by this table; the per-kind cancel flags and heartbeats move here or go.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('job')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('queue', 'text', (c) => c.notNull())
    .addColumn('boss_id', 'uuid')
    .addColumn('target_key', 'text', (c) => c.notNull())
    .addColumn('target_database', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    // At most one queued or running job per key (one integrity run per target, one fix or restore per table).
    .addColumn('exclusive_key', 'text')
    .addColumn('state', 'text', (c) =>
      c.notNull().defaultTo('queued').check(sql`state in ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted')`),
    )
    .addColumn('trigger', 'text', (c) => c.notNull().check(sql`trigger in ('manual', 'schedule', 'cli')`))
    .addColumn('started_by', 'text', (c) => c.notNull())
    .addColumn('input', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('started_at', 'timestamptz')
    .addColumn('finished_at', 'timestamptz')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('progress_done', 'bigint')
    .addColumn('progress_total', 'bigint')
    .addColumn('progress_label', 'text')
    .addColumn('cancel_requested', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('message', 'text')
    .addColumn('error', 'text')
    .addColumn('result', 'jsonb')
    .addColumn('ref_id', 'bigint')
    .execute()
  await sql`create unique index job_exclusive on job (exclusive_key) where state in ('queued', 'running')`.execute(db)
  await sql`create index job_target_newest on job (target_key, id desc)`.execute(db)
  await sql`create index job_running on job (id) where state = 'running'`.execute(db)

  // Schedules as admins (or the configuration) set them; pg-boss's own schedule table follows.
  await db.schema
    .createTable('job_schedule')
    .addColumn('target_key', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('cron', 'text', (c) => c.notNull())
    .addColumn('timezone', 'text', (c) => c.notNull())
    .addColumn('enabled', 'boolean', (c) => c.notNull())
    // 'config' while it follows the configuration; an admin's e-mail once an admin changed it.
    .addColumn('set_by', 'text', (c) => c.notNull())
    .addColumn('set_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('job_schedule_pkey', ['target_key', 'kind'])
    .execute()

  for (const table of ['integrity_run', 'integrity_fix']) {
    // Their liveness locks were keyed by these tables: nothing holds one for an old row any more.
    await sql`update ${sql.table(table)} set status = 'interrupted', finished_at = coalesce(finished_at, now()),
      error = coalesce(error, 'Its process ended before it finished (the server or the CLI stopped).')
      where status in ('queued', 'running')`.execute(db)
    await sql`alter table ${sql.table(table)} add column job_id bigint references job (id) on delete set null`.execute(db)
    await sql`alter table ${sql.table(table)} drop column cancel_requested, drop column heartbeat_at`.execute(db)
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['integrity_run', 'integrity_fix']) {
    await sql`alter table ${sql.table(table)} drop column job_id`.execute(db)
    await sql`alter table ${sql.table(table)} add column cancel_requested boolean not null default false,
      add column heartbeat_at timestamptz not null default now()`.execute(db)
  }
  await db.schema.dropTable('job_schedule').execute()
  await db.schema.dropTable('job').execute()
}
