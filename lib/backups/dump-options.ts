import { BackupError } from './backup-error'
import type { CreateBackupOptions } from './create-backup'
import { BACKUP_DEFAULTS } from './defaults'
import { checkScope, scopeArgs } from './scope-tables'
import type { BackupFormat, BackupKind, BackupScope } from './types'

/** A backup's settings checked, with the defaults filled in. */
export function checkOptions(o: CreateBackupOptions) {
  const kind = o.kind ?? 'full'
  const format = o.format ?? BACKUP_DEFAULTS.format
  if (!['full', 'schema', 'data'].includes(kind)) throw new BackupError('invalid_input', `Unknown backup kind: ${kind}`)
  if (!['custom', 'directory', 'plain'].includes(format)) throw new BackupError('invalid_input', `Unknown backup format: ${format}`)
  const compression = format === 'plain' ? null : (o.compression ?? BACKUP_DEFAULTS.compression)
  if (compression !== null && !(Number.isInteger(compression) && compression >= 0 && compression <= 9)) {
    throw new BackupError('invalid_input', 'Compression is a gzip level from 0 to 9.')
  }
  if (o.jobs !== undefined && format !== 'directory') throw new BackupError('invalid_input', 'Parallel jobs need the directory format.')
  const jobs = format === 'directory' ? (o.jobs ?? BACKUP_DEFAULTS.jobs) : null
  if (jobs !== null && !(Number.isInteger(jobs) && jobs >= 1 && jobs <= 16)) throw new BackupError('invalid_input', 'Jobs is a number from 1 to 16.')
  if (o.encryption && format === 'directory') {
    // pg_dump writes a directory's files itself; encrypting them afterwards would leave plaintext on disk first.
    throw new BackupError('invalid_input', 'Encrypted backups use the custom or plain format: pg_dump writes a directory backup itself, unencrypted.')
  }
  return { kind, format, compression, jobs, scope: checkScope(o.scope) }
}

/** pg_dump's arguments, as an array: nothing of them passes through a shell. */
export function dumpArgs(format: BackupFormat, kind: BackupKind, compression: number | null, jobs: number | null, scope: BackupScope | null, snapshot: string, file: string | null) {
  const args = ['--verbose', '--no-password', `--format=${format}`, `--snapshot=${snapshot}`]
  if (kind === 'schema') args.push('--schema-only')
  if (kind === 'data') args.push('--data-only')
  if (compression !== null) args.push(`--compress=${compression}`)
  if (jobs !== null) args.push(`--jobs=${jobs}`)
  args.push(...scopeArgs(scope))
  if (file) args.push(`--file=${file}`)
  return args
}
