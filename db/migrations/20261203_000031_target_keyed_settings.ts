import { type Kysely, sql } from 'kysely'

/**
 * The Integrity page's settings belong to one target, like its runs and custom rules (000009): role
 * rules, soft relations (and dismissed suggestions) and declared value sets. Two targets sharing one
 * state database must not check each other's relations or rules.
 *
 * Rows written before this have no key (NULL) and are adopted by the first target reached
 * (lib/state/adopt-unkeyed.ts). The DoR presets, inserted once by 000004 and 000006, are now seeded
 * for each target the first time its settings are read (lib/integrity/dor-presets.ts);
 * `integrity_preset_seed` remembers which targets got them, so a preset an admin deleted does not come
 * back. Its NULL row stands for the presets those migrations inserted: it goes with the unkeyed rows.
 * Where nobody touched those presets (every fresh install), they and the mark are removed instead: the
 * seed gives the first target the same rows, and there is nothing to adopt.
 */
const KEYS = [
  { table: 'role_rule', constraint: 'role_rule_key', columns: ['table', 'column'] },
  { table: 'soft_relation', constraint: 'soft_relation_key', columns: ['schema', 'table', 'columns', 'ref_schema', 'ref_table', 'ref_columns'] },
  { table: 'enum_column_set', constraint: 'enum_column_set_key', columns: ['schema', 'table', 'column'] },
]

export async function up(db: Kysely<any>): Promise<void> {
  for (const { table, constraint, columns } of KEYS) {
    await db.schema.alterTable(table).addColumn('target_key', 'text').execute()
    // Same name, one more column: unique per target; unkeyed (NULL) rows stay distinct, and were unique before.
    await db.schema.alterTable(table).dropConstraint(constraint).execute()
    await db.schema.alterTable(table).addUniqueConstraint(constraint, ['target_key', ...columns]).execute()
  }
  await db.schema
    .createTable('integrity_preset_seed')
    .addColumn('target_key', 'text', (c) => c.unique())
    .addColumn('seeded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  const untouched = {
    role_rule: sql`target_key is null and created_by = 'preset' and (
      ("table", "column", what, allowed) = ('meeting', 'created_by', 'meetings created', array['FACULTY', 'SECRETARY', 'ADMIN'])
      or ("table", "column", what, allowed) = ('registration_request', 'processed_by', 'registration requests processed', array['SECRETARY', 'ADMIN', 'FACULTY']))`,
    soft_relation: sql`target_key is null and created_by = 'preset' and origin = 'preset' and status = 'accepted' and (
      (schema, "table", columns, ref_schema, ref_table, ref_columns, note) = ('public', 'agenda_item', array['meeting_id'], 'public', 'meeting', array['id'],
        'DoR-Dash: agenda items belong to a meeting; production has no foreign key')
      or (schema, "table", columns, ref_schema, ref_table, ref_columns, note) = ('public', 'fileupload', array['agenda_item_id'], 'public', 'agenda_item', array['id'],
        'DoR-Dash: uploads may belong to an agenda item; the foreign key was missing for weeks'))`,
  }
  const { rows } = await sql<{ n: number }>`
    select (select count(*) from role_rule where ${untouched.role_rule})::int + (select count(*) from soft_relation where ${untouched.soft_relation})::int as n
  `.execute(db)
  if (rows[0].n === 4) {
    await sql`delete from role_rule where ${untouched.role_rule}`.execute(db)
    await sql`delete from soft_relation where ${untouched.soft_relation}`.execute(db)
  } else {
    await db.insertInto('integrity_preset_seed').values({ target_key: null }).execute()
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('integrity_preset_seed').execute()
  for (const { table, constraint, columns } of KEYS) {
    // Settings of several targets may coincide now; only one of each can go back.
    await sql`delete from ${sql.table(table)} r using ${sql.table(table)} o
      where ${sql.join(columns.map((c) => sql`r.${sql.ref(c)} = o.${sql.ref(c)}`), sql` and `)} and r.id > o.id`.execute(db)
    await db.schema.alterTable(table).dropConstraint(constraint).execute()
    await db.schema.alterTable(table).addUniqueConstraint(constraint, columns).execute()
    await db.schema.alterTable(table).dropColumn('target_key').execute()
  }
}
