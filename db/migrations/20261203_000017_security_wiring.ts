import { type Kysely, sql } from 'kysely'

/**
 * - `app_setting`: dashboard-wide settings changed from the pages (two-factor sign-in required for
 *   admins), with who changed them.
 * - audit records may be 'started': a change to the target is recorded before it runs and its
 *   result written after (fail closed: no record, no change).
 * - `db_role` on migration runs, integrity runs and fixes: the database role the job used.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('app_setting')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'jsonb', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()

  await sql`alter table audit_log drop constraint audit_log_result_check`.execute(db)
  await sql`alter table audit_log add constraint audit_log_result_check
    check (result in ('started', 'ok', 'denied', 'invalid', 'failed', 'error'))`.execute(db)

  for (const table of ['migration_run', 'integrity_run', 'integrity_fix']) {
    await db.schema.alterTable(table).addColumn('db_role', 'text').execute()
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['migration_run', 'integrity_run', 'integrity_fix']) {
    await db.schema.alterTable(table).dropColumn('db_role').execute()
  }
  // A change whose result never came is recorded as an error of unknown outcome.
  await sql`update audit_log set result = 'error', code = 'unfinished' where result = 'started'`.execute(db)
  await sql`alter table audit_log drop constraint audit_log_result_check`.execute(db)
  await sql`alter table audit_log add constraint audit_log_result_check
    check (result in ('ok', 'denied', 'invalid', 'failed', 'error'))`.execute(db)
  await db.schema.dropTable('app_setting').execute()
}
