import { type Kysely, sql } from 'kysely'

export interface AppliedMigration {
  name: string
  appliedAt: Date
}

/** What the target's migration table says is applied, in order; empty when the table is absent. */
export async function readApplied(db: Kysely<any>, table: string): Promise<AppliedMigration[]> {
  const { rows: exists } = await sql<{ present: boolean }>`select to_regclass(${table}) is not null as present`.execute(db)
  if (!exists[0].present) return []
  const { rows } = await sql<{ name: string; timestamp: string }>`
    select name, timestamp from ${sql.table(table)} order by name
  `.execute(db)
  return rows.map((r) => ({ name: r.name, appliedAt: new Date(r.timestamp) }))
}
