import { z } from 'zod'
import { defineJobKind, type JobOutcome } from '../jobs/job-kind'
import { type FixInput, fixStopped, prepareFix, prepareRestore, type RestoreInput, runFix, runRestore } from './fix-job'
import { executeIntegrityRun } from './run-job'
import { createIntegrityRun, getIntegrityRun, markProgress, restartIntegrityRun } from './run-store'
import { describeRelation } from './types'

const relation = z.object({
  schema: z.string().min(1),
  table: z.string().min(1),
  columns: z.array(z.string().min(1)).min(1).max(32),
  refSchema: z.string().min(1),
  refTable: z.string().min(1),
  refColumns: z.array(z.string().min(1)).min(1).max(32),
})
const batchSize = z.number().int().min(1).max(50_000).optional()

/** One run at a time per target; operators start and cancel them. Retried once after a dead worker (it starts over). */
export const integrityRunJob = defineJobKind<Record<string, never>>({
  kind: 'integrity.run',
  queue: 'integrity-run',
  title: 'Integrity run',
  cancelPermission: 'checks.run',
  cancellable: true,
  input: z.object({}).strict() as unknown as z.ZodType<Record<string, never>>,
  exclusive: (_input, target) => `integrity.run:${target.key}`,
  subject: (_input, target) => target.database,
  retryLimit: 1,
  expireInMinutes: 4 * 60,
  concurrency: 1,
  prepare: (trx, _input, job) =>
    createIntegrityRun(trx, { targetDatabase: job.target.database, targetKey: job.target.key, trigger: job.trigger, startedBy: job.startedBy, jobId: job.id }),
  async run(ctx): Promise<JobOutcome> {
    const { services } = ctx
    const runId = ctx.job.refId!
    const status = await executeIntegrityRun(services.integrityDb(), services.state, runId, {
      reader: services.ruleReader(),
      ruleTimeoutMs: services.settings.integrityCheckTimeoutMs,
      stopRequested: ctx.stopRequested,
      progress: ctx.progress,
      signal: ctx.signal,
    })
    const run = await getIntegrityRun(services.state, runId)
    const found = run ? `${run.checksDone} of ${run.checksTotal} checks, ${run.problems} with findings` : ''
    if (status === 'failed') return { state: 'failed', message: `Integrity run #${runId} failed.`, error: run?.error ?? null, result: { runId } }
    if (status === 'cancelled') return { state: 'cancelled', message: `Integrity run #${runId} stopped after ${found}.`, result: { runId } }
    return { state: 'succeeded', message: `Integrity run #${runId}: ${found}.`, result: { runId, problems: run?.problems ?? 0 } }
  },
  async stopped(state, job) {
    if (job.refId === null) return null
    await markProgress(state, job.refId, { status: job.state === 'cancelled' ? 'cancelled' : 'interrupted', current: null })
    return null
  },
  retrying: async (state, job) => (job.refId === null ? undefined : restartIntegrityRun(state, job.refId)),
  links: (job) => (job.refId === null ? [] : [{ label: `run #${job.refId}`, href: `/integrity?run=${job.refId}` }]),
  schedule: { input: {}, description: 'Every integrity check, unattended.' },
})

const fixTable = (rel: { schema: string; table: string }) => JSON.stringify([rel.schema, rel.table])

/** Admins' orphan fixes: one fix or restore at a time per table; reported interrupted (never re-run) when the worker dies. */
export const integrityFixJob = defineJobKind<FixInput>({
  kind: 'integrity.fix',
  queue: 'integrity-fix',
  title: 'Orphan fix',
  cancelPermission: 'data.fix',
  cancellable: true,
  input: z.object({ relation, mode: z.enum(['delete', 'set_null']), file: z.string().min(1), total: z.number().int().min(0), batchSize }),
  exclusive: (input, target) => `integrity.fix:${target.key}:${fixTable(input.relation)}`,
  subject: (input) => describeRelation(input.relation),
  retryLimit: 0,
  expireInMinutes: 12 * 60,
  concurrency: 2,
  prepare: prepareFix,
  run: runFix,
  stopped: fixStopped,
  links: (job) => (job.refId === null ? [] : [{ label: `fix #${job.refId}`, href: fixHref(job.input as unknown as FixInput) }]),
})

/** Puts back what a fix changed; shares the fix's key, so a table has one fix or restore at a time. */
export const fixRestoreJob = defineJobKind<RestoreInput & { relation: FixInput['relation'] }>({
  kind: 'integrity.restore',
  queue: 'fix-restore',
  title: 'Fix restore',
  cancelPermission: 'data.fix',
  cancellable: true,
  input: z.object({ fixId: z.number().int().positive(), relation, batchSize }),
  exclusive: (input, target) => `integrity.fix:${target.key}:${fixTable(input.relation)}`,
  subject: (input) => `${describeRelation(input.relation)} (fix #${input.fixId})`,
  retryLimit: 0,
  expireInMinutes: 12 * 60,
  concurrency: 1,
  prepare: prepareRestore,
  run: runRestore,
  stopped: fixStopped,
  links: (job) =>
    job.refId === null
      ? []
      : [
          { label: `restore #${job.refId}`, href: fixHref(job.input as unknown as FixInput) },
          { label: `fix #${String(job.input.fixId)}`, href: fixHref(job.input as unknown as FixInput) },
        ],
})

function fixHref(input: { relation?: FixInput['relation'] }): string {
  const r = input.relation
  if (!r) return '/integrity'
  const q = new URLSearchParams({ schema: r.schema, table: r.table, columns: r.columns.join(','), refSchema: r.refSchema, refTable: r.refTable, refColumns: r.refColumns.join(',') })
  return `/integrity/relation?${q}`
}
