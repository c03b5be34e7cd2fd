import { sql } from 'kysely'
import type { StateDb } from '../state/state-db'

export interface BackupFreshness {
  /** Seconds since the newest successful full backup finished; null when there has never been one. */
  ageSeconds: number | null
  /** Whether the newest finished backup (of any kind) failed or was interrupted. */
  lastFailed: boolean
}

/**
 * From the backup catalogue (lib/backups/catalogue.ts, table `backup`): only full backups count as a
 * backup one can restore the database from, and uploads are left out (their date is the upload's,
 * not the dump's). Deleted backups no longer protect anything.
 */
export async function readBackupFreshness(state: StateDb, targetKey: string, at: Date = new Date()): Promise<BackupFreshness> {
  const { rows } = await sql<{ age: number | null; last_status: string | null }>`
    select extract(epoch from ${at}::timestamptz - (
             select max(finished_at) from backup
              where target_key = ${targetKey} and status = 'succeeded' and kind = 'full' and origin <> 'upload' and deleted_at is null))::float8 as age,
           (select status from backup
             where target_key = ${targetKey} and status in ('succeeded', 'failed', 'interrupted') and origin <> 'upload'
             order by coalesce(finished_at, started_at) desc limit 1) as last_status
  `.execute(state)
  return { ageSeconds: rows[0].age === null ? null : Math.max(0, rows[0].age), lastFailed: rows[0].last_status === 'failed' || rows[0].last_status === 'interrupted' }
}
