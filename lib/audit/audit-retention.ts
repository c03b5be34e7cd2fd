import { sql } from 'kysely'
import type { StateDb } from '../state/state-db'

export interface PruneResult {
  deleted: number
  /** Records from before this moment were removed. */
  cutoff: Date
}

/**
 * Deletes audit records older than `olderThanDays` (AUDIT_RETENTION_DAYS), oldest first, in
 * batches: each batch is a short transaction of its own, so writers of new records never wait long.
 */
export async function pruneAudit(
  db: StateDb,
  opts: { olderThanDays: number; now?: Date; batchSize?: number },
): Promise<PruneResult> {
  if (!Number.isInteger(opts.olderThanDays) || opts.olderThanDays < 1) {
    throw new Error('pruneAudit keeps at least one day: olderThanDays must be a whole number of 1 or more')
  }
  const cutoff = new Date((opts.now ?? new Date()).getTime() - opts.olderThanDays * 86_400_000)
  const batch = Math.min(Math.max(Math.floor(opts.batchSize ?? 5000), 1), 50_000)
  let deleted = 0
  while (true) {
    const result = await sql`
      delete from audit_log where id in (
        select id from audit_log where at < ${cutoff} order by at limit ${batch}
      )
    `.execute(db)
    const n = Number(result.numAffectedRows ?? 0)
    deleted += n
    if (n < batch) return { deleted, cutoff }
  }
}
