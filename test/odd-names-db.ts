import { type RawBuilder, sql } from 'kysely'
import { type FreshDatabase, freshDatabase } from './fresh-db'

/** Names catalog code must take as data: a schema beyond ASCII with a space, a table named like an injection. */
export const ODD_SCHEMA = 'ünïcode schema'
export const ODD_TABLE = 'Order; DROP TABLE x;--'

export interface OddNamesDatabase extends FreshDatabase {
  /** Runs one statement of the test's own setup. */
  run(statement: RawBuilder<unknown>): Promise<void>
}

/** A fresh database holding the table ODD_SCHEMA.ODD_TABLE with `columns`. */
export async function oddNamesDatabase(prefix: string, columns: RawBuilder<unknown>): Promise<OddNamesDatabase> {
  const fresh = await freshDatabase(prefix)
  const run = async (statement: RawBuilder<unknown>) => {
    await statement.execute(fresh.db)
  }
  await run(sql`create schema ${sql.id(ODD_SCHEMA)}`)
  await run(sql`create table ${sql.id(ODD_SCHEMA, ODD_TABLE)} (${columns})`)
  return Object.assign(fresh, { run })
}
