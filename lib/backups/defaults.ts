import type { BackupFormat } from './types'

/**
 * Default pg_dump settings, chosen by bench/backup.bench.ts on the DoR database at scale 500 on
 * two cores (see README's Benchmarks): custom format so that one file holds the backup and restores
 * table by table; gzip level 1, which costs a fraction of level 6's (pg_dump's default) time for
 * a few percent more bytes.
 */
export const BACKUP_DEFAULTS: { format: BackupFormat; compression: number; jobs: number } = {
  format: 'custom',
  compression: 1,
  jobs: 2,
}
