import type { Migration, MigrationProvider } from 'kysely'

/**
 * Migrations from a static index instead of a folder: a Next server bundle cannot load migration
 * files from disk, and the CLI, the pages and the tests must all see the same list.
 */
export class StaticMigrationProvider implements MigrationProvider {
  constructor(private readonly migrations: Record<string, Migration>) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    return this.migrations
  }
}
