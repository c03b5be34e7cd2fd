import type { BackupFormat } from './types'

/**
 * Default pg_dump settings, measured with bench/backup.bench.ts on the DoR database at scale 500
 * (1.4 GB) on this project's shared two-core machine, against plain `pg_dump -Fc` (gzip 6) in the
 * same runs (two runs, 3 and 5 rounds, load average 8 to 14 from other work):
 *   -Fc -Z1       0.76 and 0.86 of the time, 1.14 of the size (152 MB against 133 MB);
 *   -Fd -j2 -Z1   0.70 and 0.83 of the time, 1.14 of the size.
 * Measured again on 3 December 2026 (5 rounds, load 4.5 to 5.8; CPU time of pg_dump and the server
 * beside the wall time): -Fc -Z1 0.85 of the time and 0.70 of the CPU, -Fd -j2 -Z1 0.70 and 0.67,
 * both 1.14 of the size; at a load of 9 to 12 (3 rounds) 0.97/1.04 and 0.94/0.95 of the time.
 * Gzip level 1 is the gain. The directory format with two jobs was 0.01 to 0.15 of -Fc's time
 * faster (its second worker finds no free core on a busy machine), and it is a folder, not a file:
 * it cannot be encrypted while written, downloaded or uploaded as one. So the default is one custom
 * file at level 1; the directory format with parallel jobs stays available for large databases on
 * idle hardware.
 */
export const BACKUP_DEFAULTS: { format: BackupFormat; compression: number; jobs: number } = {
  format: 'custom',
  compression: 1,
  jobs: 2,
}
