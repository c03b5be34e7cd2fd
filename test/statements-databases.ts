import { sql } from 'kysely'
import { migrateStateDb } from '../lib/state/migrate-state'
import { AppSessions } from './app-sessions'
import { type FreshDatabase, freshDatabase } from './fresh-db'

export interface StatementsDatabases {
  target: FreshDatabase
  state: FreshDatabase
  /** Sessions of the application on the target, whose statements pg_stat_statements counts. */
  app: AppSessions
  close(): Promise<void>
}

/** A target with pg_stat_statements and a table public.t (id, note) of `rows` rows, and a migrated state database beside it. */
export async function statementsDatabases(prefix: string, rows: number): Promise<StatementsDatabases> {
  const [target, state] = await Promise.all([freshDatabase(`${prefix}_t`), freshDatabase(`${prefix}_s`)])
  await migrateStateDb(state.db)
  await sql`create extension pg_stat_statements`.execute(target.db)
  await sql`create table public.t (id int primary key, note text)`.execute(target.db)
  await sql`insert into public.t select g, 'row ' || g from generate_series(1, ${rows}) g`.execute(target.db)
  const app = new AppSessions(target.url)
  return {
    target,
    state,
    app,
    async close() {
      await app.closeAll()
      await Promise.all([target.drop(), state.drop()])
    },
  }
}
