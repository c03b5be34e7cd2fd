import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import type PgBoss from 'pg-boss'
import type { TargetIdentity } from '../db/target-identity'
import type { StateRow } from '../state/state-db'
import { findJobKind } from './all-kinds'
import { bossDb, queueName } from './boss-db'
import type { JobKind } from './job-kind'
import { activeJobByKey, type JobRow, toJobRow } from './job-store'
import { AppError } from '../errors'
import { isDbError } from '../db/db-errors'
import type { StateDb } from '../state/state-db'

/** A job refused because another job holds the same exclusive key (the same target, or the same table). */
export class JobBusyError extends AppError {
  constructor(
    readonly kind: JobKind,
    readonly running: JobRow | null,
  ) {
    const r = running
    // Named after the job that holds the key, which may be of another kind (a fix blocks a restore).
    const holder = (r && findJobKind(r.kind)) || kind
    const first = r ? holder.links?.(r)[0] : undefined
    super(
      'conflict',
      r
        ? `${holder.title} is already ${r.state === 'queued' ? 'queued' : 'running'} on ${r.subject}: job #${r.id}${first ? ` (${first.label})` : ''}, started by ${r.startedBy} at ${r.createdAt.toISOString().replace('T', ' ').slice(0, 19)} UTC. Wait for it or cancel it.`
        : `${kind.title} is already running on this target. Wait for it or cancel it.`,
    )
    this.name = 'JobBusyError'
  }
}

export interface EnqueueRequest<I> {
  kind: JobKind<I>
  input: I
  target: TargetIdentity
  startedBy: string
  trigger: JobRow['trigger']
  /** Set when pg-boss already holds the job (a schedule fired): the row joins it instead of sending one. */
  bossId?: string
}

const isExclusiveConflict = (e: unknown) => isDbError(e, '23505') && e.constraint === 'job_exclusive'

/**
 * Queues a job: its row, its kind's own row (prepare) and pg-boss's entry in one transaction of
 * the state database. A second job on the same exclusive key is refused by the unique index on
 * the job rows, naming the one that holds it; pg-boss's singleton policy on the same key keeps
 * two attempts from ever running at once.
 */
export async function enqueueJob<I>(state: StateDb, boss: PgBoss, req: EnqueueRequest<I>): Promise<JobRow> {
  const { kind, target } = req
  const input = kind.input.parse(req.input)
  const exclusive = kind.exclusive?.(input, target) ?? null
  const queue = queueName(kind, target.key)
  const bossId = req.bossId ?? randomUUID()
  try {
    return await state.transaction().execute(async (trx) => {
      const { rows } = await sql<StateRow<'job'>>`
        insert into job (kind, queue, boss_id, target_key, target_database, subject, exclusive_key, trigger, started_by, input)
        values (${kind.kind}, ${queue}, ${bossId}, ${target.key}, ${target.database}, ${kind.subject(input, target)}, ${exclusive},
                ${req.trigger}, ${req.startedBy}, ${JSON.stringify(input)})
        returning *
      `.execute(trx)
      const job = toJobRow(rows[0])
      const refId = await kind.prepare?.(trx, input, { id: job.id, target, startedBy: req.startedBy, trigger: req.trigger })
      if (refId !== undefined && refId !== null) {
        await trx.updateTable('job').set({ ref_id: refId }).where('id', '=', job.id).execute()
        job.refId = refId
      }
      if (!req.bossId) {
        const sent = await boss.send(
          queue,
          { jobId: job.id },
          {
            id: bossId,
            singletonKey: exclusive ?? undefined,
            retryLimit: kind.retryLimit,
            expireInSeconds: kind.expireInMinutes * 60,
            db: bossDb(trx),
          } as PgBoss.SendOptions,
        )
        if (!sent) throw new Error(`pg-boss did not queue job #${job.id} (queue ${queue})`)
      }
      return job
    })
  } catch (e) {
    if (isExclusiveConflict(e)) throw new JobBusyError(kind, exclusive ? await activeJobByKey(state, exclusive) : null)
    throw e
  }
}

/**
 * A schedule's firing that did not run because another job held its key (a backup while a backup
 * runs): a finished row (cancelled, never started) that says which job was in the way, so that
 * the history shows the missed run instead of nothing.
 */
export async function recordSkippedRun<I>(state: StateDb, req: { kind: JobKind<I>; target: TargetIdentity; bossId: string; busy: JobBusyError }): Promise<JobRow> {
  const { kind, target } = req
  const input = kind.input.parse(kind.schedule?.input ?? {})
  const r = req.busy.running
  const holder = (r && findJobKind(r.kind)) || kind
  const message = r
    ? `Skipped: ${holder.title.toLowerCase()} job #${r.id} was ${r.state === 'queued' ? 'queued' : 'running'} when the schedule fired.`
    : `Skipped: ${kind.title.toLowerCase()} was already running when the schedule fired.`
  const { rows } = await sql<StateRow<'job'>>`
    insert into job (kind, queue, boss_id, target_key, target_database, subject, exclusive_key, state, trigger, started_by, input, finished_at, message, result)
    values (${kind.kind}, ${queueName(kind, target.key)}, ${req.bossId}, ${target.key}, ${target.database}, ${kind.subject(input, target)}, null, 'cancelled',
            'schedule', 'schedule', ${JSON.stringify(input)}, now(), ${message}, ${JSON.stringify({ skipped: true, runningJobId: r?.id ?? null })})
    returning *
  `.execute(state)
  return toJobRow(rows[0])
}
