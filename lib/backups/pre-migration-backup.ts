import path from 'node:path'
import type { Kysely } from 'kysely'
import type { AgeKeys } from './age-header'
import { createBackup } from './create-backup'

export interface PreMigrationBackup {
  id: string
  path: string
  bytes: number
  durationMs: number
}

/**
 * The full backup taken before a migration run, catalogued like any other (origin pre_migration,
 * linked to the run): checksummed, 0600, listed, verifiable and restorable. Fails loudly: a failed
 * backup must never look like a good one, and the run does not start.
 */
export async function preMigrationBackup(
  state: Kysely<any>,
  o: { targetUrl: string; pgBinDir: string; dataPath: string; runId: number; createdBy: string; encryption?: AgeKeys | null },
): Promise<PreMigrationBackup> {
  const r = await createBackup(state, {
    targetUrl: o.targetUrl,
    dir: backupDirectory(o.dataPath),
    pgBinDir: o.pgBinDir,
    kind: 'full',
    origin: 'pre_migration',
    migrationRunId: o.runId,
    encryption: o.encryption,
    createdBy: o.createdBy,
  })
  return { id: r.id, path: r.path, bytes: r.sizeBytes, durationMs: r.durationMs }
}

/** Where database backups live: `<DATA_DIR>/backups`, 0700. */
export function backupDirectory(dataPath: string): string {
  return path.join(dataPath, 'backups')
}
