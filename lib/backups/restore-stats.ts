import { type Kysely, sql } from 'kysely'

/**
 * Whether the cumulative statistics of a scratch database now hold every row the restore put into
 * it: track_counts is on, and no client backend but the drill's own (`ownApplicationName`) is still
 * connected. A backend sends its counts at the latest as it exits, before it leaves
 * pg_stat_activity (PostgreSQL's before_shmem_exit hook flushes them; the status entry is cleared
 * later, on shmem exit), so once pg_restore's sessions are gone their inserts are all counted.
 * Waits up to `timeoutMs` for stragglers, then answers false (and the drill counts rows itself).
 */
export async function restoreStatsSettled(db: Kysely<any>, ownApplicationName: string, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const { rows } = await sql<{ counting: boolean; others: number }>`
      select current_setting('track_counts')::bool as counting,
             (select count(*)::int from pg_stat_activity
               where datname = current_database() and backend_type = 'client backend'
                 and pid <> pg_backend_pid() and application_name is distinct from ${ownApplicationName}) as others
    `.execute(db)
    if (!rows[0].counting) return false
    if (rows[0].others === 0) return true
    if (Date.now() >= deadline) return false
    await new Promise((r) => setTimeout(r, 20))
  }
}
