import type { Migration } from 'kysely'
import { DOR_MIGRATION_LOCK_TABLE, DOR_MIGRATION_TABLE, dorMigrations } from '@/migrations'
import { migrationChecksums } from '@/migrations/manifest'
import { loadMigration, type MigrationSource } from '../db/static-migration-provider'
import { withSourceChecksums } from './source-checksums'

/** Why a migration listed in the index could not be loaded. */
export interface MigrationLoadError {
  /** file_missing: the file is gone; load_failed: importing it threw. */
  code: 'file_missing' | 'load_failed'
  message: string
}

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
  /** Set when its module could not be loaded: status flags it, and it cannot be applied or rolled back. */
  loadError: MigrationLoadError | null
  /** What migrations/manifest.ts records when it disagrees with the file's own checksum (lib/migrations/source-checksums.ts). */
  manifestChecksum?: string | null
}

/** A set of migrations and the tables that record them in the target: the DoR index, or a test's. */
export interface MigrationSet {
  defs: MigrationDef[]
  table: string
  lockTable: string
}

type Tables = { table: string; lockTable: string }
const DOR_TABLES: Tables = { table: DOR_MIGRATION_TABLE, lockTable: DOR_MIGRATION_LOCK_TABLE }

function defOf(name: string, checksum: string | null, mod: Migration & { transactional?: boolean; irreversible?: string }): MigrationDef {
  return {
    name,
    checksum,
    migration: mod,
    transactional: mod.transactional !== false,
    irreversibleReason:
      typeof mod.irreversible === 'string' ? mod.irreversible : typeof mod.down !== 'function' ? 'it has no down migration' : null,
    loadError: null,
  }
}

/** A migration whose module could not be loaded: running it fails with the reason, never silently. */
function unloadableDef(name: string, checksum: string | null, loadError: MigrationLoadError): MigrationDef {
  const refuse = async () => {
    throw new Error(loadError.message)
  }
  return {
    name,
    checksum,
    migration: { up: refuse, down: refuse },
    transactional: true,
    irreversibleReason: loadError.code === 'file_missing' ? 'its file is missing' : 'its file cannot be loaded',
    loadError,
  }
}

function loadErrorOf(name: string, e: unknown): MigrationLoadError {
  const err = e as { code?: string; message?: string }
  const file = `migrations/${name}.ts`
  if (err?.code === 'ERR_MODULE_NOT_FOUND' || err?.code === 'MODULE_NOT_FOUND') {
    return { code: 'file_missing', message: `${file} is listed in migrations/index.ts but the file is missing.` }
  }
  return { code: 'load_failed', message: `${file} could not be loaded: ${String(err?.message ?? e).split('\n')[0]}` }
}

export function defineMigrations(index: Record<string, Migration>, checksums: Record<string, string>, tables: Tables = DOR_TABLES): MigrationSet {
  const defs = Object.keys(index)
    .sort()
    .map((name) => defOf(name, checksums[name] ?? null, index[name]))
  return { defs, ...tables }
}

/**
 * Imports each migration of an index on its own: one that cannot be loaded becomes a def with
 * `loadError` instead of failing the whole set.
 */
export async function loadMigrationSet(
  index: Record<string, MigrationSource>,
  checksums: Record<string, string>,
  tables: Tables = DOR_TABLES,
): Promise<MigrationSet> {
  const defs = await Promise.all(
    Object.keys(index)
      .sort()
      .map(async (name) => {
        const checksum = checksums[name] ?? null
        try {
          return defOf(name, checksum, await loadMigration(index[name]))
        } catch (e) {
          return unloadableDef(name, checksum, loadErrorOf(name, e))
        }
      }),
  )
  return { defs, ...tables }
}

export async function dorMigrationSet(): Promise<MigrationSet> {
  return withSourceChecksums(await loadMigrationSet(dorMigrations, migrationChecksums))
}
