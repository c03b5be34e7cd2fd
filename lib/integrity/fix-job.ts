import fs from 'node:fs'
import type { Kysely } from 'kysely'
import { roleOf } from '../db/session-role'
import type { TargetIdentity } from '../db/target-identity'
import type { JobContext, JobOutcome } from '../jobs/job-kind'
import type { JobRow } from '../jobs/job-store'
import { retried } from '../jobs/retried'
import { countSavedRows, type FixMode, FixRuleError, manifestPath } from './fix-file'
import { fixOrphans, restoreFix } from './fix-orphans'
import { createFixJob, type FixJob, getFixJob, markFixProgress } from './fix-store'
import { describeRelation, type RelationRef } from './types'
import type { StateDb } from '../state/state-db'

/** The default batch of fixOrphans and restoreFix. */
export const FIX_BATCH = 5000

export interface FixInput {
  relation: RelationRef
  mode: FixMode
  file: string
  total: number
  batchSize?: number
}

export interface RestoreInput {
  fixId: number
  batchSize?: number
}

const plural = (n: number, one: string) => `${n.toLocaleString('en')} ${one}${n === 1 ? '' : one.endsWith('ch') ? 'es' : 's'}`

/** In the queueing transaction: the fix's own row, as the Integrity page lists it. */
export function prepareFix(trx: Kysely<any>, input: FixInput, job: { id: number; target: TargetIdentity; startedBy: string }): Promise<number> {
  return createFixJob(trx, {
    targetDatabase: job.target.database,
    targetKey: job.target.key,
    kind: 'fix',
    relation: input.relation,
    mode: input.mode,
    file: input.file,
    total: input.total,
    startedBy: job.startedBy,
    jobId: job.id,
  })
}

/** Why a fix cannot be restored, or null when it can. */
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

/** In the queueing transaction: refuses what cannot be restored, and creates the restore's own row. */
export async function prepareRestore(trx: Kysely<any>, input: RestoreInput, job: { id: number; target: TargetIdentity; startedBy: string }): Promise<number> {
  const fix = await getFixJob(trx, input.fixId)
  if (!fix) throw new FixRuleError(`There is no fix #${input.fixId}.`)
  const refusal = restoreRefusal(fix, job.target)
  if (refusal) throw new FixRuleError(refusal)
  return createFixJob(trx, {
    targetDatabase: job.target.database,
    targetKey: job.target.key,
    kind: 'restore',
    restoresFix: fix.id,
    relation: fix.relation,
    mode: fix.mode,
    file: fix.file,
    total: await countSavedRows(fix.file),
    startedBy: job.startedBy,
    jobId: job.id,
  })
}

async function ended(state: StateDb, id: number, status: 'succeeded' | 'cancelled' | 'failed', error?: string): Promise<void> {
  await retried(() => markFixProgress(state, id, { status, error }))
}

/**
 * The rows are saved to the file first (all of them, with a manifest), then changed in batches;
 * a cancel (or a shutdown) stops it between batches, and what was changed stays changed.
 */
export async function runFix(ctx: JobContext, input: FixInput): Promise<JobOutcome> {
  const { state } = ctx.services
  const id = ctx.job.refId!
  const what = describeRelation(input.relation)
  try {
    const db = ctx.services.integrityWriterDb()
    await markFixProgress(state, id, { status: 'running', dbRole: await roleOf(db) })
    const r = await fixOrphans(db, input.relation, {
      mode: input.mode,
      file: input.file,
      expected: input.total,
      batchSize: input.batchSize,
      isCancelled: ctx.stopRequested,
      onProgress: async (p) => {
        await markFixProgress(state, id, { phase: p.phase, total: p.total, saved: p.saved, changed: p.changed })
        await ctx.progress({ done: p.phase === 'saving' ? p.saved : p.changed, total: p.total, label: p.phase === 'saving' ? 'saving rows' : 'changing rows' })
      },
    })
    const fix = (await getFixJob(state, id))!
    const verb = input.mode === 'delete' ? 'deleted' : `set ${input.relation.columns.join(', ')} to NULL in`
    if (r.cancelled) {
      await ended(state, id, 'cancelled')
      return { state: 'cancelled', message: `Fix #${id} stopped: ${verb} ${plural(fix.changed, 'row')} of ${plural(fix.total, 'orphan')} of ${what}; every row was saved to ${input.file} first.`, result: { fixId: id, changed: fix.changed } }
    }
    await ended(state, id, 'succeeded')
    return { state: 'succeeded', message: `Fix #${id} ${verb} ${plural(fix.changed, 'row')} of ${what}; they were saved to ${input.file} first.`, result: { fixId: id, changed: fix.changed } }
  } catch (e) {
    const error = (e as Error)?.message ?? String(e)
    await ended(state, id, 'failed', error).catch(() => {})
    return { state: 'failed', message: `Fix #${id} of ${what} failed.`, error, result: { fixId: id } }
  }
}

export async function runRestore(ctx: JobContext, input: RestoreInput): Promise<JobOutcome> {
  const { state } = ctx.services
  const id = ctx.job.refId!
  try {
    const job = (await getFixJob(state, id))!
    const db = ctx.services.integrityWriterDb()
    await markFixProgress(state, id, { status: 'running', phase: 'restoring', dbRole: await roleOf(db) })
    const r = await restoreFix(db, job.file, {
      batchSize: input.batchSize,
      isCancelled: ctx.stopRequested,
      onProgress: async (restored) => {
        await markFixProgress(state, id, { changed: restored })
        await ctx.progress({ done: restored, total: job.total, label: 'putting rows back' })
      },
    })
    const what = `${plural(r.restored, 'row')} of ${describeRelation(job.relation)}`
    if (r.cancelled) {
      await ended(state, id, 'cancelled')
      return { state: 'cancelled', message: `Restore #${id} of fix #${input.fixId} stopped after putting back ${what}.`, result: { fixId: input.fixId, restoreId: id } }
    }
    await ended(state, id, 'succeeded')
    return { state: 'succeeded', message: `Restore #${id} of fix #${input.fixId}: ${what} put back from ${job.file}.`, result: { fixId: input.fixId, restoreId: id } }
  } catch (e) {
    const error = (e as Error)?.message ?? String(e)
    await ended(state, id, 'failed', error).catch(() => {})
    return { state: 'failed', message: `Restore #${id} of fix #${input.fixId} failed.`, error, result: { fixId: input.fixId, restoreId: id } }
  }
}

/**
 * A fix or restore whose worker died, whose process stopped, or that was cancelled before it
 * started: its row says so, a fix that died while saving loses its incomplete file (without a
 * manifest nothing can restore from it, and nothing had changed yet), and the job's message says
 * exactly how many batches were done.
 */
export async function fixStopped(state: StateDb, job: JobRow): Promise<string | null> {
  if (job.refId === null) return null
  const fix = await getFixJob(state, job.refId)
  if (!fix) return null
  await markFixProgress(state, fix.id, { status: job.state === 'cancelled' ? 'cancelled' : 'interrupted' })
  if (job.state === 'cancelled') return null
  const batchSize = Math.min(Math.max(Math.trunc(Number(job.input.batchSize ?? FIX_BATCH)), 1), 50_000)
  // Every batch but a fix's last is full, and this one did not finish: the count is exact.
  const batches = Math.ceil(fix.changed / batchSize)
  const all = Math.ceil(fix.total / batchSize)
  const name = `${fix.kind === 'fix' ? 'Fix' : 'Restore'} #${fix.id}`
  if (fix.kind === 'restore') {
    return `Its worker stopped after ${name} put back ${plural(fix.changed, 'row')} of ${fix.total}. Restore fix #${fix.restoresFix} again for the rest (rows already back are skipped).`
  }
  if (fix.phase === 'saving' || fix.phase === null) {
    // Only what a fix writes: a row file of JSON lines (a path in the state database is not trusted further).
    if (fix.file.endsWith('.jsonl') && !fs.existsSync(manifestPath(fix.file))) fs.rmSync(fix.file, { force: true })
    return `Its worker stopped while ${name} was saving rows, before it changed any (0 batches done): nothing changed; its incomplete copy was removed.`
  }
  return `Its worker stopped after ${plural(batches, 'batch')} of ${all}: ${name} changed ${plural(fix.changed, 'row')} of ${fix.total}; every row was saved to ${fix.file} first. Restore it, or run the fix again for the rest.`
}
