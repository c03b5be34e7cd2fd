import { type Kysely, sql } from 'kysely'

/**
 * Backups, verifications, drills and restores run as queued jobs (lib/backups/jobs.ts): a backup
 * row names the job that took it, and the directory its file was written to (so that whoever finds
 * its worker dead removes its `.partial` file, whichever process that is). Saved retention
 * policies, one per target, applied after each successful scheduled backup.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('backup')
    .addColumn('job_id', 'bigint', (c) => c.references('job.id').onDelete('set null'))
    .addColumn('dir', 'text')
    .execute()
  await sql`create index backup_job_idx on backup (job_id) where job_id is not null`.execute(db)

  await db.schema
    .createTable('backup_retention')
    .addColumn('target_key', 'text', (c) => c.primaryKey())
    .addColumn('keep_last', 'integer', (c) => c.check(sql`keep_last >= 0`))
    .addColumn('keep_daily', 'integer', (c) => c.check(sql`keep_daily >= 0`))
    .addColumn('keep_weekly', 'integer', (c) => c.check(sql`keep_weekly >= 0`))
    .addColumn('keep_monthly', 'integer', (c) => c.check(sql`keep_monthly >= 0`))
    .addColumn('keep_within_days', 'integer', (c) => c.check(sql`keep_within_days >= 0`))
    // Off keeps the rules saved without applying them.
    .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('set_by', 'text', (c) => c.notNull())
    .addColumn('set_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('backup_retention').execute()
  await db.schema.alterTable('backup').dropColumn('job_id').dropColumn('dir').execute()
}
