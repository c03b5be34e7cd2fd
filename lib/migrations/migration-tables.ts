import { type Kysely, sql } from 'kysely'
import type { MigrationSet } from './registry'

/** Which of the set's bookkeeping tables the target has. */
export async function migrationTablesPresent(db: Kysely<any>, set: MigrationSet): Promise<{ table: boolean; lockTable: boolean }> {
  const { rows } = await sql<{ table: boolean; lock_table: boolean }>`
    select to_regclass(${set.table}) is not null as table, to_regclass(${set.lockTable}) is not null as lock_table`.execute(db)
  return { table: rows[0].table, lockTable: rows[0].lock_table }
}

/**
 * The migrator creates its two tables before it runs the first migration. When that migration
 * fails on a database that had neither (tables made outside the migrations, as DoR-Dash's were),
 * a failed run would leave them behind, empty: this removes those the run created, as long as
 * nothing was recorded in them. Returns a sentence for the run's message, or null.
 */
export async function removeCreatedMigrationTables(
  db: Kysely<any>,
  set: MigrationSet,
  before: { table: boolean; lockTable: boolean },
): Promise<string | null> {
  const now = await migrationTablesPresent(db, set)
  const created = [
    ...(!before.table && now.table ? [set.table] : []),
    ...(!before.lockTable && now.lockTable ? [set.lockTable] : []),
  ]
  if (created.length === 0) return null
  const names = created.join(' and ')
  try {
    const removed = await db.transaction().execute(async (trx) => {
      if (created.includes(set.table)) {
        const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(set.table)}`.execute(trx)
        if (rows[0].n > 0) return false
      }
      for (const t of created) await sql`drop table ${sql.table(t)}`.execute(trx)
      return true
    })
    return removed
      ? `${names}, which this run had created, ${created.length === 1 ? 'was' : 'were'} removed: the target is as before.`
      : `${names} ${created.length === 1 ? 'was' : 'were'} left in the target: another tool recorded a migration in ${set.table} meanwhile.`
  } catch (e) {
    return `${names}, created by this run, ${created.length === 1 ? 'is' : 'are'} left in the target: removing ${created.length === 1 ? 'it' : 'them'} failed (${(e as Error).message}).`
  }
}
