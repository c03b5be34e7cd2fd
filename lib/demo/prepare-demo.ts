import { type Kysely, sql } from 'kysely'
import { dorMigrations, dorMigrator } from '@/migrations'
import { seedDemo } from './seed-demo'

/** Every DoR migration but the newest, which the demo leaves pending for users to apply. */
export async function migrateDemoToSecondNewest(db: Kysely<any>): Promise<void> {
  const names = Object.keys(dorMigrations).sort()
  const target = names[names.length - 2]
  const { error } = await dorMigrator(db).migrateTo(target)
  if (error) throw new Error(`DoR migration failed while building the demo: ${(error as Error).message ?? error}`)
}

/** Builds the DoR demo in an empty database: migrations (newest left pending) and seeded data. */
export async function buildDemoDatabase(db: Kysely<any>) {
  // The performance pages read pg_stat_statements; the demo has it from the start.
  await sql`create extension if not exists pg_stat_statements`.execute(db)
  await migrateDemoToSecondNewest(db)
  const summary = await seedDemo(db)
  // Statistics from the start: row estimates and the enum-like column checks read them.
  await sql`analyze`.execute(db)
  return summary
}
