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

/** Whether any row still lacks a target key (written before keys existed). */
export async function hasUnkeyedRows(state: Kysely<any>): Promise<boolean> {
  const tables = [...BY_NAME.map((t) => t.table), 'integrity_rule']
  const { rows } = await sql<{ found: boolean }>`select ${sql.join(
    tables.map((t) => sql`exists (select 1 from ${sql.table(t)} where target_key is null)`),
    sql` or `,
  )} as found`.execute(state)
  return rows[0].found
}

/**
 * Gives rows recorded before targets had keys to `target`: those of its database name, and the
 * admins' rules, which named no database at all. Nothing recorded which server an old row came
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
    // A rule named like one this target already has keeps its place among the unkeyed ones.
    const rules = await sql`
      update integrity_rule r set target_key = ${target.key}
      where r.target_key is null
        and not exists (select 1 from integrity_rule o where o.target_key = ${target.key} and o.name = r.name)
    `.execute(trx)
    return adopted + Number(rules.numAffectedRows ?? 0)
  })
}
