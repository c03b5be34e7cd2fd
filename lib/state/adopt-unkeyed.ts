import { type Kysely, sql } from 'kysely'
import type { TargetIdentity } from '../db/target-identity'

// Untyped (Kysely<any>): it walks the tables of a list by name, which the typed builder cannot take as one type.
/** Tables whose rows name their target by database name only. */
const BY_NAME: { table: string; nameColumn: string }[] = [
  { table: 'migration_run', nameColumn: 'target_database' },
  { table: 'migration_ack', nameColumn: 'target_database' },
  { table: 'schema_snapshot', nameColumn: 'database' },
  { table: 'integrity_run', nameColumn: 'target_database' },
  { table: 'integrity_fix', nameColumn: 'target_database' },
]

/**
 * Tables of settings that named no database at all, with what is unique per target: the admins'
 * rules and the Integrity page's settings (state migrations 000009 and 000031), and the mark that a
 * target has its DoR presets (lib/integrity/dor-presets.ts), which goes with the presets it stands for.
 */
const SETTINGS: { table: string; unique: string[]; counted: boolean }[] = [
  { table: 'integrity_rule', unique: ['name'], counted: true },
  { table: 'role_rule', unique: ['table', 'column'], counted: true },
  { table: 'soft_relation', unique: ['schema', 'table', 'columns', 'ref_schema', 'ref_table', 'ref_columns'], counted: true },
  { table: 'enum_column_set', unique: ['schema', 'table', 'column'], counted: true },
  { table: 'integrity_preset_seed', unique: [], counted: false },
]

/** Whether any row still lacks a target key (written before keys existed). */
export async function hasUnkeyedRows(state: Kysely<any>): Promise<boolean> {
  const tables = [...BY_NAME.map((t) => t.table), ...SETTINGS.map((t) => t.table)]
  const { rows } = await sql<{ found: boolean }>`select ${sql.join(
    tables.map((t) => sql`exists (select 1 from ${sql.table(t)} where target_key is null)`),
    sql` or `,
  )} as found`.execute(state)
  return rows[0].found
}

/**
 * Gives rows recorded before targets had keys to `target`: those of its database name, and the
 * settings, which named no database at all (admins' rules, role rules, soft relations and dismissed
 * suggestions, value sets). Nothing recorded which server an old row came
 * from, so the first target of that name to be reached takes them; with one target per state
 * database (the usual case) that is exactly right. Returns how many rows were adopted.
 */
export async function adoptUnkeyedRows(state: Kysely<any>, target: TargetIdentity): Promise<number> {
  return state.transaction().execute(async (trx) => {
    let adopted = 0
    for (const { table, nameColumn } of BY_NAME) {
      const r = await trx
        .updateTable(table)
        .set({ target_key: target.key })
        .where('target_key', 'is', null)
        .where(nameColumn, '=', target.database)
        .executeTakeFirst()
      adopted += Number(r.numUpdatedRows)
    }
    // A setting like one this target already has (a rule of the same name, a rule for the same
    // column, ...) keeps its place among the unkeyed ones: the target's own wins.
    for (const { table, unique, counted } of SETTINGS) {
      const t = sql.table(table)
      const same = sql.join([sql`o.target_key = ${target.key}`, ...unique.map((c) => sql`o.${sql.ref(c)} = r.${sql.ref(c)}`)], sql` and `)
      const r = await sql`
        update ${t} r set target_key = ${target.key}
        where r.target_key is null and not exists (select 1 from ${t} o where ${same})
      `.execute(trx)
      if (counted) adopted += Number(r.numAffectedRows ?? 0)
    }
    return adopted
  })
}
