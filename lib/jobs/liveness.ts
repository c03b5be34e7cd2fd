import { type RawBuilder, sql } from 'kysely'
import type pg from 'pg'
import { openSession } from '../db/connect'
import type { StateDb } from '../state/state-db'

/**
 * Whether a job's worker is alive, exactly and at once: the worker running a job holds a
 * session-level advisory lock on the state database, on a session of its own, keyed by the job's
 * table and id, for as long as it runs the job. PostgreSQL frees the lock when that session ends,
 * however the process ended (kill -9, crash, lost network), so "alive" is "the lock is held", with
 * no heartbeat to wait out. pg-boss only learns of a dead worker when the job's expiry passes; this
 * lock tells the Jobs page, the kinds' pages and the next start at once.
 */

/**
 * State tables of background work: `job` (the queue's jobs), `backup` (pg_dump runs: the backup job
 * kinds and pre-migration dumps hold a backup's lock while pg_dump runs), `maintenance_job` (VACUUM,
 * ANALYZE, REINDEX, run in the requesting process, not on the queue).
 */
export type JobTable = 'job' | 'backup' | 'maintenance_job'

// The first half of each two-part advisory key: one per table ('JOB' and a number), apart from
// the migration run lock's key and from the keys the per-kind tables held before the queue (1, 2).
const TABLE_KEY: Record<JobTable, number> = { backup: 0x4a_4f_42_03, job: 0x4a_4f_42_04, maintenance_job: 0x4a_4f_42_05 }

/** The integer column a row's lock is keyed by: its id, or for a backup (whose id is a uuid) its job_no. */
const KEY_COLUMN: Record<JobTable, string> = { job: 'id', backup: 'job_no', maintenance_job: 'id' }

/** The part of the key a row id gives: advisory keys are int4. */
function idKey(id: number): number {
  if (!Number.isSafeInteger(id) || id < 1 || id > 0x7fff_ffff) throw new Error(`job id ${id} does not fit an advisory lock key`)
  return id
}

/** SQL: whether some session holds the liveness lock of row `id` (a column or a value) of `table`. */
export function jobAlive(table: JobTable, id: RawBuilder<unknown> | number): RawBuilder<boolean> {
  // pg_locks lists the advisory locks of every database of the cluster: keep to this one.
  return sql<boolean>`exists (select 1 from pg_locks l
    where l.locktype = 'advisory' and l.granted and l.objsubid = 2
      and l.database = (select d.oid from pg_database d where d.datname = current_database())
      and l.classid = ${TABLE_KEY[table]}::int8::oid and l.objid = (${id})::int8::oid)`
}

export async function isJobAlive(state: StateDb, table: JobTable, id: number): Promise<boolean> {
  const { rows } = await sql<{ alive: boolean }>`select ${jobAlive(table, idKey(id))} as alive`.execute(state)
  return rows[0].alive
}

/** The session holding one job's liveness lock. */
export interface JobLiveness {
  /**
   * Takes the lock of a job by its id (a backup's job_no); false when another session holds it (a
   * worker still running it). Taken before the job's row says running, the row is never seen without it.
   */
  hold(table: JobTable, id: number): Promise<boolean>
  /** True once the session was lost: others now see the job as dead, so it should stop. */
  readonly lost: boolean
  /** Ends the session, and so frees the lock. */
  release(): Promise<void>
}

export async function openJobLiveness(state: StateDb, label: string): Promise<JobLiveness> {
  let lost = false
  const client: pg.Client = await openSession(state, { applicationName: `dbadmin job: ${label}`.slice(0, 63), onError: () => (lost = true) })
  client.on('end', () => (lost = true))
  let released = false
  return {
    async hold(table, id) {
      const { rows } = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1, $2) as ok', [TABLE_KEY[table], idKey(id)])
      return rows[0].ok
    },
    get lost() {
      return lost && !released
    },
    async release() {
      released = true
      await client.end().catch(() => {})
    },
  }
}

/**
 * Marks the queued or running rows of a status table (backup) whose process is gone as
 * 'interrupted', in the database: every reader (page, CLI, the next start) then agrees. Returns
 * the rows marked. Queue jobs have their own (lib/jobs/dead-jobs.ts): pg-boss retries them.
 */
export async function markDeadStatusRows(state: StateDb, table: Exclude<JobTable, 'job'>): Promise<Record<string, any>[]> {
  const { rows } = await sql<Record<string, any>>`
    update ${sql.table(table)} as j
    set status = 'interrupted', finished_at = coalesce(j.finished_at, now()),
        error = coalesce(j.error, 'Its process ended before it finished (the server or the CLI stopped).')
    where j.status in ('queued', 'running') and not ${jobAlive(table, sql.ref(`j.${KEY_COLUMN[table]}`))}
    returning j.*
  `.execute(state)
  return rows
}
