import { ACTIVE_STATES, type JobRow, listJobs } from '../jobs/job-store'
import type { StateDb } from '../state/state-db'

/** Job kinds that read an existing backup (input.backupId): it must not be deleted under them. */
export const READING_KINDS = ['backup.verify', 'backup.drill', 'backup.restore']

/** This target's queued or running verifications, drills and restores. */
export async function activeJobRows(state: StateDb, targetKey: string): Promise<JobRow[]> {
  return listJobs(state, { targetKey, kinds: READING_KINDS, states: ACTIVE_STATES, limit: 500 })
}

/** Backups a queued or running verify, drill or restore reads (a drill of "the newest" names its backup once it runs). */
export async function busyBackupIds(state: StateDb, targetKey: string): Promise<Set<string>> {
  const rows = await activeJobRows(state, targetKey)
  const ids = rows.map((j) => (j.input.backupId ?? (j.result as { backupId?: unknown } | null)?.backupId) as unknown)
  return new Set(ids.filter((v): v is string => typeof v === 'string'))
}
