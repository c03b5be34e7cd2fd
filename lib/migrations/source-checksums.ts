import fs from 'node:fs'
import path from 'node:path'
import { checksumOf } from './manifest-file'
import type { MigrationSet } from './registry'

/**
 * Where the DoR migration sources are at run time: beside this module when it runs from source
 * (the CLI, tests), else `migrations/` under the working directory (the server runs from the
 * project root). Null when the files are not there (a deployment of the build alone).
 */
export function migrationSourceDir(): string | null {
  const candidates: string[] = []
  if (process.env.DBADMIN_MIGRATIONS_DIR) candidates.push(process.env.DBADMIN_MIGRATIONS_DIR)
  // In a server bundle this points into the build output, where the check below fails.
  if (typeof import.meta.dirname === 'string') candidates.push(path.resolve(import.meta.dirname, '..', '..', 'migrations'))
  candidates.push(path.resolve(process.cwd(), 'migrations'))
  return candidates.find((d) => fs.existsSync(path.join(d, 'index.ts')) && fs.existsSync(path.join(d, 'manifest.ts'))) ?? null
}

/**
 * The checksum of each migration's own file where the file is present, instead of the one the
 * manifest recorded: an applied migration edited without regenerating the manifest is still
 * seen as edited. A manifest that disagrees with the file is kept in `manifestChecksum` (and
 * flagged by the status); a migration without a file keeps the manifest's checksum.
 */
export function withSourceChecksums(set: MigrationSet, dir: string | null = migrationSourceDir()): MigrationSet {
  if (!dir) return set
  return {
    ...set,
    defs: set.defs.map((d) => {
      const file = path.join(dir, `${d.name}.ts`)
      let source: string
      try {
        source = fs.readFileSync(file, 'utf8')
      } catch {
        return d
      }
      const sum = checksumOf(source)
      return sum === d.checksum ? d : { ...d, checksum: sum, manifestChecksum: d.checksum }
    }),
  }
}
