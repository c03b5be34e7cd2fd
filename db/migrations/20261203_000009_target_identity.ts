import { type Kysely, sql } from 'kysely'

/**
 * History keyed by the target's identity (lib/db/target-identity.ts: server system identifier plus
 * database name), not by its name alone: two servers' `dor` databases sharing one state database
 * must not see each other's runs, snapshots, fixes or rules.
 *
 * Rows written before this have no key (NULL): nothing recorded which server they came from. The
 * first start that reaches a target adopts the unkeyed rows of its database name (and the unkeyed
 * rules), lib/state/adopt-unkeyed.ts; until then they are listed nowhere.
 */
const KEYED = ['migration_run', 'migration_ack', 'schema_snapshot', 'integrity_run', 'integrity_fix', 'integrity_rule']

export async function up(db: Kysely<any>): Promise<void> {
  for (const table of KEYED) await db.schema.alterTable(table).addColumn('target_key', 'text').execute()

  await db.schema.dropIndex('migration_run_started_idx').execute()
  await db.schema.createIndex('migration_run_target_idx').on('migration_run').columns(['target_key', 'id desc']).execute()
  await db.schema.dropIndex('integrity_run_db_idx').execute()
  await db.schema.createIndex('integrity_run_target_idx').on('integrity_run').columns(['target_key', 'id desc']).execute()
  await db.schema.dropIndex('integrity_fix_db_idx').execute()
  await db.schema.createIndex('integrity_fix_target_idx').on('integrity_fix').columns(['target_key', 'id desc']).execute()
  await db.schema.createIndex('schema_snapshot_target_idx').on('schema_snapshot').columns(['target_key', 'id desc']).execute()

  // An acknowledgement and a rule name belong to one target. Unkeyed (NULL) rows stay distinct,
  // as they were unique by name before.
  await db.schema.alterTable('migration_ack').dropConstraint('migration_ack_pkey').execute()
  await db.schema.createIndex('migration_ack_key').on('migration_ack').columns(['target_key', 'name', 'checksum']).unique().execute()
  await db.schema.alterTable('integrity_rule').dropConstraint('integrity_rule_name_key').execute()
  await db.schema.createIndex('integrity_rule_target_name_key').on('integrity_rule').columns(['target_key', 'name']).unique().execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('integrity_rule_target_name_key').execute()
  // Rules of several targets may share a name now; only one of each name can go back.
  await sql`delete from integrity_rule r using integrity_rule o where r.name = o.name and r.id > o.id`.execute(db)
  await db.schema.alterTable('integrity_rule').addUniqueConstraint('integrity_rule_name_key', ['name']).execute()
  await db.schema.dropIndex('migration_ack_key').execute()
  await sql`delete from migration_ack a using migration_ack o
    where a.target_database = o.target_database and a.name = o.name and a.checksum = o.checksum and a.ctid > o.ctid`.execute(db)
  await db.schema.alterTable('migration_ack').addPrimaryKeyConstraint('migration_ack_pkey', ['target_database', 'name', 'checksum']).execute()

  await db.schema.dropIndex('schema_snapshot_target_idx').execute()
  await db.schema.dropIndex('integrity_fix_target_idx').execute()
  await db.schema.createIndex('integrity_fix_db_idx').on('integrity_fix').columns(['target_database', 'id desc']).execute()
  await db.schema.dropIndex('integrity_run_target_idx').execute()
  await db.schema.createIndex('integrity_run_db_idx').on('integrity_run').columns(['target_database', 'id desc']).execute()
  await db.schema.dropIndex('migration_run_target_idx').execute()
  await db.schema.createIndex('migration_run_started_idx').on('migration_run').columns(['target_database', 'id desc']).execute()
  for (const table of KEYED) await db.schema.alterTable(table).dropColumn('target_key').execute()
}
