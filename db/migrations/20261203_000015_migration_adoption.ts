import { type Kysely, sql } from 'kysely'

const OLD_KINDS = sql`kind in ('apply', 'rollback', 'dry_run', 'rehearsal', 'drift', 'replay')`
const NEW_KINDS = sql`kind in ('apply', 'rollback', 'dry_run', 'rehearsal', 'drift', 'replay', 'baseline',
  'alembic_upgrade', 'alembic_downgrade', 'alembic_sql', 'alembic_rehearsal', 'alembic_drift')`

/**
 * Adopting an existing database: baselines of the DoR chain and runs of the team's own Alembic go
 * into the run history, and an admin's decision on who migrates a target (our chain, or another
 * tool or team) is kept per target, newest last.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table migration_run drop constraint migration_run_kind_check`.execute(db)
  await sql`alter table migration_run add constraint migration_run_kind_check check (${NEW_KINDS})`.execute(db)

  await db.schema
    .createTable('migration_adoption')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('target_key', 'text', (c) => c.notNull())
    .addColumn('target_database', 'text', (c) => c.notNull())
    // ours: the DoR chain is applied here; elsewhere: another tool or team migrates it; auto: decided by what the target holds.
    .addColumn('decision', 'text', (c) => c.notNull().check(sql`decision in ('ours', 'elsewhere', 'auto')`))
    .addColumn('note', 'text')
    .addColumn('decided_by_id', 'uuid')
    .addColumn('decided_by', 'text', (c) => c.notNull())
    .addColumn('decided_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema.createIndex('migration_adoption_target_idx').on('migration_adoption').columns(['target_key', 'id desc']).execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('migration_adoption').execute()
  await sql`delete from migration_run where not (${OLD_KINDS})`.execute(db)
  await sql`alter table migration_run drop constraint migration_run_kind_check`.execute(db)
  await sql`alter table migration_run add constraint migration_run_kind_check check (${OLD_KINDS})`.execute(db)
}
