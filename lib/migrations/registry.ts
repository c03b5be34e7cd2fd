import type { Migration } from 'kysely'
import { DOR_MIGRATION_LOCK_TABLE, DOR_MIGRATION_TABLE, dorMigrations } from '@/migrations'
import { migrationChecksums } from '@/migrations/manifest'
import { withSourceChecksums } from './source-checksums'

/**
 * A migration of the static index with what the dashboard needs to know about it. A migration
 * module may also export `transactional = false` (it cannot run inside a transaction, e.g.
 * CREATE INDEX CONCURRENTLY) and `irreversible = 'why'` (its down cannot restore what up did).
 */
export interface MigrationDef {
  name: string
  checksum: string | null
  migration: Migration
  transactional: boolean
  /** Why rollback is disabled, or null when the migration has a working down. */
  irreversibleReason: string | null
  /** What migrations/manifest.ts records when it disagrees with the file's own checksum (lib/migrations/source-checksums.ts). */
  manifestChecksum?: string | null
}

/** A set of migrations and the tables that record them in the target: the DoR index, or a test's. */
export interface MigrationSet {
  defs: MigrationDef[]
  table: string
  lockTable: string
}

export function defineMigrations(
  index: Record<string, Migration>,
  checksums: Record<string, string>,
  tables = { table: DOR_MIGRATION_TABLE, lockTable: DOR_MIGRATION_LOCK_TABLE },
): MigrationSet {
  const defs = Object.keys(index)
    .sort()
    .map((name): MigrationDef => {
      const mod = index[name] as Migration & { transactional?: boolean; irreversible?: string }
      return {
        name,
        checksum: checksums[name] ?? null,
        migration: mod,
        transactional: mod.transactional !== false,
        irreversibleReason:
          typeof mod.irreversible === 'string'
            ? mod.irreversible
            : typeof mod.down !== 'function'
              ? 'it has no down migration'
              : null,
      }
    })
  return { defs, ...tables }
}

export function dorMigrationSet(): MigrationSet {
  return withSourceChecksums(defineMigrations(dorMigrations, migrationChecksums))
}
