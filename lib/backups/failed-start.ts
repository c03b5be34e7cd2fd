import { sql } from 'kysely'
import type { StateDb } from '../state/state-db'
import type { NewBackup } from './catalogue'

/**
 * Records a backup that failed before its catalogue row was written (no pg_dump of the server's
 * version, too little disk space, the target gone): for a scheduled backup nobody is there to read
 * the error, so it must show as a failed backup on the Backups page and to the failed-backup alert.
 */
export async function recordFailedStart(
  state: StateDb,
  b: Pick<NewBackup, 'targetKey' | 'targetDatabase' | 'kind' | 'format' | 'origin' | 'scope' | 'file' | 'createdBy' | 'jobId'>,
  error: string,
  durationMs: number,
): Promise<string> {
  const row = await state
    .insertInto('backup')
    .values({
      target_key: b.targetKey,
      target_database: b.targetDatabase,
      kind: b.kind,
      format: b.format,
      origin: b.origin,
      scope: b.scope ? JSON.stringify(b.scope) : null,
      file: b.file,
      status: 'failed',
      error,
      encrypted: false,
      created_by: b.createdBy,
      job_id: b.jobId ?? null,
      finished_at: sql`now()`,
      duration_ms: Math.max(0, Math.round(durationMs)),
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
}
