import { z } from 'zod'
import { ActionError } from '../auth/action-result'
import { defineJobKind, type JobKind, type JobOutcome } from '../jobs/job-kind'
import type { JobSystem } from '../jobs/job-system'
import type { JobRow } from '../jobs/job-store'
import { waitForJob } from '../jobs/wait-for-job'
import { REVISION_PATTERN } from './output'
import { alembicDowngrade, type AlembicRunResult, alembicUpgrade } from './run'

export interface AlembicJobInput {
  revision: string
  /** Who asked, as the run history names them (a dashboard user's id, or the CLI). */
  actor: { id: string | null; source: 'dashboard' | 'cli' }
}

/** A run's result as its job keeps it: Alembic's output cut to its end, where the error is. */
export type AlembicJobResult = AlembicRunResult

const KEPT = 16_000
const tail = (text: string) => (text.length > KEPT ? text.slice(-KEPT) : text)

/** How often Alembic's latest output line is saved as the job's progress. */
const PROGRESS_EVERY_MS = 500

function alembicJob(command: 'upgrade' | 'downgrade'): JobKind<AlembicJobInput> {
  return defineJobKind<AlembicJobInput>({
    kind: `alembic.${command}`,
    queue: `alembic-${command}`,
    title: `Alembic ${command}`,
    cancelPermission: command === 'upgrade' ? 'migrations.apply' : 'migrations.rollback',
    cancellable: true,
    input: z.object({
      revision: z.string().min(1).max(100).regex(REVISION_PATTERN),
      actor: z.object({ id: z.string().nullable(), source: z.enum(['dashboard', 'cli']) }),
    }),
    // One Alembic run per database at a time, upgrade or downgrade (the run lock holds the same on the server).
    exclusive: (_input, target) => `alembic:${target.key}`,
    subject: (input, target) => `${target.database} → ${input.revision}`,
    // Never re-run by itself after a dead worker: where the database is must be looked at first.
    retryLimit: 0,
    expireInMinutes: 23 * 60 - 1,
    concurrency: 1,
    async run(ctx, input): Promise<JobOutcome> {
      const { services } = ctx
      const settings = services.settings.alembic
      if (!settings) {
        return { state: 'failed', message: 'Alembic is not configured here.', error: 'Set ALEMBIC_DIR (and ALEMBIC_COMMAND) where this job runs, then queue it again.' }
      }
      let latest: string | null = null
      let lines = 0
      const timer = setInterval(() => {
        if (latest !== null) void ctx.progress({ done: lines, label: latest }).catch(() => {})
      }, PROGRESS_EVERY_MS)
      try {
        const r = await (command === 'upgrade' ? alembicUpgrade : alembicDowngrade)(
          {
            settings,
            targetUrl: services.migratorUrl,
            state: services.state,
            actor: { id: input.actor.id, label: ctx.job.startedBy, source: input.actor.source },
            lockTimeoutMs: services.settings.migrationLockTimeoutMs,
            statementTimeoutMs: services.settings.migrationStatementTimeoutMs,
            signal: ctx.signal,
            onRecorded: (runId) => ctx.setRef(runId),
            onOutput: (line) => {
              latest = line.slice(0, 300)
              lines++
            },
          },
          input.revision,
        )
        const result: AlembicJobResult = { ...r, stdout: tail(r.stdout), stderr: tail(r.stderr) }
        if (r.ok) return { state: 'succeeded', message: r.message, result }
        return { state: ctx.signal.aborted ? 'cancelled' : 'failed', message: r.message, error: r.error, result }
      } catch (e) {
        // Refused before Alembic ran (several heads, the run lock taken): the refusal, with its code.
        if (e instanceof ActionError) return { state: 'failed', message: e.message, error: e.message, result: { refused: e.code } }
        throw e
      } finally {
        clearInterval(timer)
        // A run quicker than the timer would otherwise leave no progress at all on its job.
        if (latest !== null) await ctx.progress({ done: lines, label: latest }).catch(() => {})
      }
    },
    links: (job) => (job.refId === null ? [] : [{ label: `migration run #${job.refId}`, href: `/migrations#run-${job.refId}` }]),
  })
}

/** `alembic upgrade REV` under the per-database run lock, with snapshots and history (lib/alembic/run.ts). */
export const alembicUpgradeJob = alembicJob('upgrade')
/** `alembic downgrade REV`, likewise. */
export const alembicDowngradeJob = alembicJob('downgrade')

/** How a queued Alembic run ended, for the page and the CLI that waited for it. */
export type AlembicJobEnd =
  | { ok: true; job: JobRow; run: AlembicJobResult }
  | { ok: false; job: JobRow; run: AlembicJobResult | null; code: string; message: string }

/**
 * Queues `alembic upgrade|downgrade REV` and follows its job until it ends: the Jobs page shows it
 * with Alembic's output as progress and can cancel it meanwhile. Throws JobBusyError while another
 * Alembic run of this database is queued or running.
 */
export async function queueAlembicRun(
  system: JobSystem,
  command: 'upgrade' | 'downgrade',
  input: AlembicJobInput,
  who: { startedBy: string; trigger: JobRow['trigger'] },
  opts: { timeoutMs: number; onQueued?: (job: JobRow) => void },
): Promise<AlembicJobEnd> {
  const queued = await system.enqueue(`alembic.${command}`, input, who)
  opts.onQueued?.(queued)
  const job = await waitForJob(system.services.state, queued.id, { timeoutMs: opts.timeoutMs, markDead: () => system.markDead() })
  const result = (job.result ?? null) as (AlembicJobResult & { refused?: undefined }) | { refused: string } | null
  const run = result && !('refused' in result && result.refused) ? (result as AlembicJobResult) : null
  if (job.state === 'succeeded' && run) return { ok: true, job, run }
  const code = result && 'refused' in result && result.refused ? result.refused : job.state === 'cancelled' ? 'cancelled' : job.state === 'queued' || job.state === 'running' ? 'timeout' : 'migration_failed'
  const message =
    code === 'timeout'
      ? `Job #${job.id} is still ${job.state}: follow it on the Jobs page.`
      : run
        ? `Run #${run.runId}: ${run.message}${run.error ? `\n\n${run.error}` : ''}`
        : (job.error ?? job.message ?? `Job #${job.id} ${job.state}.`)
  return { ok: false, job, run, code, message }
}
