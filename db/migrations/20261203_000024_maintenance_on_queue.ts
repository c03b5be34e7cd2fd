import { type Kysely, sql } from 'kysely'

/**
 * Maintenance (VACUUM, ANALYZE, REINDEX, CREATE/DROP INDEX CONCURRENTLY) moves onto the job queue:
 * its row stays the kind's own record (statement, pid, leftovers) and points at its job, which now
 * holds cancel and liveness, as integrity runs and fixes do since 000018.
 */
export async function up(db: Kysely<any>): Promise<void> {
  // Their liveness locks were keyed by this table: nothing holds one for an old row any more.
  await sql`update maintenance_job set status = 'interrupted', finished_at = coalesce(finished_at, now()),
    error = coalesce(error, 'Its process ended before it finished (the server or the CLI stopped).')
    where status in ('queued', 'running')`.execute(db)
  await sql`alter table maintenance_job add column job_id bigint references job (id) on delete set null`.execute(db)
  await sql`alter table maintenance_job drop column cancel_requested, drop column heartbeat_at`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table maintenance_job drop column job_id`.execute(db)
  await sql`alter table maintenance_job add column cancel_requested boolean not null default false,
    add column heartbeat_at timestamptz not null default now()`.execute(db)
}
