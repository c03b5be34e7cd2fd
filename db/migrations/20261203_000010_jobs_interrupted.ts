import { type Kysely, sql } from 'kysely'

/**
 * A job whose process died is recorded as 'interrupted' in its row (found by its free liveness
 * lock, see lib/jobs/liveness.ts), rather than only shown so from a stale heartbeat.
 */
export async function up(db: Kysely<any>): Promise<void> {
  for (const table of ['integrity_run', 'integrity_fix']) {
    await sql`alter table ${sql.table(table)} drop constraint ${sql.id(`${table}_status_check`)}`.execute(db)
    await sql`alter table ${sql.table(table)} add constraint ${sql.id(`${table}_status_check`)}
      check (status in ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted'))`.execute(db)
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['integrity_run', 'integrity_fix']) {
    await sql`update ${sql.table(table)} set status = 'failed' where status = 'interrupted'`.execute(db)
    await sql`alter table ${sql.table(table)} drop constraint ${sql.id(`${table}_status_check`)}`.execute(db)
    await sql`alter table ${sql.table(table)} add constraint ${sql.id(`${table}_status_check`)}
      check (status in ('queued', 'running', 'succeeded', 'failed', 'cancelled'))`.execute(db)
  }
}
