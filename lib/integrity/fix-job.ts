import fs from 'node:fs'
import type { Kysely } from 'kysely'
import { roleOf } from '../db/session-role'
import { type TargetIdentity, targetIdentity } from '../db/target-identity'
import { retried } from '../jobs/job-rows'
import type { JobLiveness } from '../jobs/liveness'
import { startLiveJob } from '../jobs/start-lock'
import { countSavedRows, type FixMode, fixOrphans, FixRuleError, manifestPath, restoreFix } from './fix-orphans'
import {
  activeFixJob,
  createFixJob,
  fixCancelRequested,
  FixJobBusyError,
  type FixJob,
  type FixJobStatus,
  getFixJob,
  markFixProgress,
} from './fix-store'
import type { RelationRef } from './types'

export interface FixJobOptions {
  batchSize?: number
  /** Called after the job's own progress is saved (tests use it to cancel at a known point). */
  onProgress?: (job: { id: number; phase: FixJob['phase']; changed: number }) => Promise<void> | void
  onDone?: (id: number, status: FixJobStatus) => Promise<void> | void
}

/**
 * A database error's text for the job record, which every role can read: PostgreSQL's message
 * without its detail (the detail may quote a whole row, secrets included), no connection strings.
 */
function jobError(e: unknown): string {
  const err = e as { message?: string }
  return String(err?.message ?? e).replace(/postgres(ql)?:\/\/\S+/g, '[url]').slice(0, 1000)
}

/**
 * Runs `work` while its liveness lock is held, and records how it ended: succeeded, cancelled or
 * failed. The lock goes when the work ends, or with the process.
 */
async function runJob(state: Kysely<any>, id: number, liveness: JobLiveness, work: () => Promise<{ cancelled: boolean }>): Promise<FixJobStatus> {
  try {
    await markFixProgress(state, id, { status: 'running' })
    const { cancelled } = await work()
    const status = cancelled ? 'cancelled' : 'succeeded'
    await retried(() => markFixProgress(state, id, { status }))
    return status
  } catch (e) {
    await retried(() => markFixProgress(state, id, { status: 'failed', error: jobError(e) })).catch(() => {})
    return 'failed'
  } finally {
    await liveness.release()
  }
}

/**
 * Whether the job should stop at its next safe point: asked to, or its liveness session was lost
 * (others then take it for dead and may start another).
 */
const shouldStop = (state: Kysely<any>, id: number, liveness: JobLiveness) => async () => liveness.lost || (await fixCancelRequested(state, id))

/** Starts `execute` without waiting; a failing onDone must not become an unhandled rejection. */
function detach(id: number, execute: Promise<FixJobStatus>, onDone: FixJobOptions['onDone']): void {
  void execute.then((status) => onDone?.(id, status)).catch((e: unknown) => console.error(`integrity fix #${id}: onDone failed:`, e))
}

async function startLocked(state: Kysely<any>, targetKey: string, create: (trx: Kysely<any>) => Promise<number>) {
  return startLiveJob(state, 'integrity_fix', `dbadmin.integrity_fix:${targetKey}`, async (trx) => {
    const active = await activeFixJob(trx, targetKey)
    if (active) throw new FixJobBusyError(active)
    return create(trx)
  })
}

/**
 * Queues an orphan fix and runs it in this process without waiting: the rows are saved to `file`,
 * then changed in batches, with progress and cancel through the state database. One fix or
 * restore at a time per database.
 */
export async function startFixJob(
  target: Kysely<any>,
  state: Kysely<any>,
  input: { relation: RelationRef; mode: FixMode; file: string; total: number; startedBy: string },
  opts: FixJobOptions = {},
): Promise<number> {
  const { key: targetKey, database: targetDatabase } = await targetIdentity(target)
  const dbRole = await roleOf(target)
  const { id, liveness } = await startLocked(state, targetKey, (trx) => createFixJob(trx, { targetDatabase, targetKey, kind: 'fix', dbRole, ...input }))
  const execute = runJob(state, id, liveness, () =>
    fixOrphans(target, input.relation, {
      mode: input.mode,
      file: input.file,
      expected: input.total,
      batchSize: opts.batchSize,
      isCancelled: shouldStop(state, id, liveness),
      onProgress: async (p) => {
        await markFixProgress(state, id, { phase: p.phase, total: p.total, saved: p.saved, changed: p.changed })
        await opts.onProgress?.({ id, phase: p.phase, changed: p.changed })
      },
    }),
  )
  detach(id, execute, opts.onDone)
  return id
}

/** Why a fix cannot be restored from the page, or null when it can. */
export function restoreRefusal(fix: FixJob, target: TargetIdentity): string | null {
  if (fix.kind !== 'fix') return `#${fix.id} is a restore, not a fix.`
  if (fix.targetKey !== target.key) {
    return `Fix #${fix.id} was made on database ${fix.targetDatabase}${fix.targetDatabase === target.database ? ' of another server' : ''}, not on ${target.database}.`
  }
  if (fix.status === 'queued' || fix.status === 'running') return `Fix #${fix.id} is still running: cancel it first, or wait for it.`
  if (fix.restoredBy?.status === 'succeeded') return `Fix #${fix.id} was already restored by #${fix.restoredBy.id}.`
  if (fix.restoredBy?.status === 'queued' || fix.restoredBy?.status === 'running') return `Fix #${fix.id} is being restored by #${fix.restoredBy.id}.`
  if (!fs.existsSync(fix.file) || !fs.existsSync(manifestPath(fix.file))) {
    return fix.phase === 'saving' || fix.phase === null
      ? `Fix #${fix.id} stopped while saving rows, before changing any: there is nothing to restore.`
      : `The saved rows of fix #${fix.id} are gone from ${fix.file}.`
  }
  return null
}

/** Queues the restore of a finished (or cancelled, failed, interrupted) fix from its saved rows. */
export async function startRestoreJob(
  target: Kysely<any>,
  state: Kysely<any>,
  input: { fixId: number; startedBy: string },
  opts: FixJobOptions = {},
): Promise<number> {
  const identity = await targetIdentity(target)
  const { key: targetKey, database: targetDatabase } = identity
  const fix = await getFixJob(state, input.fixId)
  if (!fix) throw new FixRuleError(`There is no fix #${input.fixId}.`)
  const refusal = restoreRefusal(fix, identity)
  if (refusal) throw new FixRuleError(refusal)
  const total = await countSavedRows(fix.file)
  const dbRole = await roleOf(target)
  const { id, liveness } = await startLocked(state, targetKey, (trx) =>
    createFixJob(trx, { targetDatabase, targetKey, kind: 'restore', restoresFix: fix.id, relation: fix.relation, mode: fix.mode, file: fix.file, total, startedBy: input.startedBy, dbRole }),
  )
  const execute = runJob(state, id, liveness, async () => {
    await markFixProgress(state, id, { phase: 'restoring' })
    return restoreFix(target, fix.file, {
      batchSize: opts.batchSize,
      isCancelled: shouldStop(state, id, liveness),
      onProgress: async (restored) => {
        await markFixProgress(state, id, { changed: restored })
        await opts.onProgress?.({ id, phase: 'restoring', changed: restored })
      },
    })
  })
  detach(id, execute, opts.onDone)
  return id
}
