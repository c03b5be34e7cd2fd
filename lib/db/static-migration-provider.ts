import type { Migration, MigrationProvider } from 'kysely'

/** A migration module, or a function importing it when first needed. */
export type MigrationSource = Migration | (() => Promise<Migration>)

export async function loadMigration(source: MigrationSource): Promise<Migration> {
  return typeof source === 'function' ? source() : source
}

/**
 * Migrations from a static index instead of a folder: a Next server bundle cannot load migration
 * files from disk, and the CLI, the pages and the tests must all see the same list. Lazy entries
 * are imported when the migrator asks for them, so a broken file fails that run, not every import.
 */
export class StaticMigrationProvider implements MigrationProvider {
  constructor(private readonly migrations: Record<string, MigrationSource>) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    const entries = await Promise.all(Object.entries(this.migrations).map(async ([name, source]) => [name, await loadMigration(source)] as const))
    return Object.fromEntries(entries)
  }
}
