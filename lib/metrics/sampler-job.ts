import { z } from 'zod'
import { defineJobKind, type JobContext, type JobOutcome } from '../jobs/job-kind'
import { type CycleResult, runSamplerCycle } from './sampler-cycle'
import { DEFAULT_SAMPLER_SETTINGS } from './sampler-settings'
import { ticksToSample } from './sampler-ticks'
import { latestSample } from './sample-store'
import type { StateDb } from '../state/state-db'

/**
 * The health sampler (issue 15) as a scheduled job: exactly one across instances, every 15 s by
 * default.
 *
 * pg-boss's cron has minute resolution. Of the two ways to reach 15 s, a minute schedule whose job
 * samples at each tick of its minute (lib/metrics/sampler-ticks.ts) is used, not a job that
 * re-queues itself with startAfter: the schedule is a row in the state database that pg-boss fires
 * once a minute whatever the number of instances, and it is its own watchdog, where a chain of
 * self-queued jobs stops for good the first time a link is lost (a worker killed between finishing
 * and sending the next) and would need a schedule to restart it anyway. It also keeps one job row
 * a minute instead of one a sample, and admins turn it off or change it on the Jobs page like
 * every schedule. The exclusive key keeps one sampler job per target queued or running, so two
 * instances never sample the same tick; a tick that already has a sample within half an interval
 * (`dbadmin metrics sample` just ran) is skipped as well.
 *
 * Each sample runs the alert rules and the rollups (lib/metrics/sampler-cycle.ts); the hourly
 * table sizes and the pruning come with the first sample of each hour, and the pruning also drops
 * this kind's own finished job rows once they are as old as the raw samples.
 */
export const metricsSampleJob = defineJobKind<Record<string, never>>({
  kind: 'metrics.sample',
  queue: 'metrics-sample',
  title: 'Health sampler',
  cancelPermission: 'jobs.schedule',
  cancellable: true,
  input: z.object({}).strict() as unknown as z.ZodType<Record<string, never>>,
  exclusive: (_input, target) => `metrics.sample:${target.key}`,
  subject: (_input, target) => target.database,
  // A lost minute is a gap in the charts; the next minute's job samples again.
  retryLimit: 0,
  expireInMinutes: 3,
  concurrency: 1,
  run: runSampler,
  links: () => [{ label: 'Health', href: '/health' }],
  schedule: {
    input: {},
    description: 'Health samples (every METRICS_INTERVAL_SECONDS within each minute it fires), alert rules, rollups, hourly table sizes and pruning.',
  },
})

async function runSampler(ctx: JobContext): Promise<JobOutcome> {
  const { services } = ctx
  const settings = services.sampler ?? DEFAULT_SAMPLER_SETTINGS
  const ticks = ticksToSample(Date.now(), settings.intervalSeconds)
  let taken = 0
  let skipped = 0
  const failures: string[] = []
  let pruned: CycleResult['pruned'] = null
  for (const [i, tick] of ticks.entries()) {
    if (!(await waitUntil(tick, ctx))) break
    if (await sampledNear(services.state, services.target.key, tick, settings.intervalSeconds)) {
      skipped++
    } else {
      try {
        const cycle = await runSamplerCycle(services.targetDb(), services.state, services.target, settings.config, { pool: settings.poolUse?.() })
        taken++
        if (cycle.pruned) {
          pruned = cycle.pruned
          await pruneSamplerJobs(services.state, services.target.key, settings.config.METRICS_RAW_RETENTION_HOURS)
        }
      } catch (e) {
        failures.push((e as Error)?.message ?? String(e))
      }
    }
    await ctx.progress({ done: i + 1, total: ticks.length, label: `${taken} sample${taken === 1 ? '' : 's'}` })
  }
  const prunedNote = pruned ? `; pruned ${pruned.samples} samples, ${pruned.fiveMinute + pruned.hourly} aggregates, ${pruned.tableSizes} table sizes` : ''
  const message = `${taken} of ${ticks.length} samples taken${skipped ? ` (${skipped} already there)` : ''}${failures.length ? `, ${failures.length} failed` : ''}${prunedNote}.`
  const result = { taken, skipped, failed: failures.length, ticks: ticks.map((t) => new Date(t).toISOString()), pruned }
  if (failures.length) return { state: 'failed', message, error: failures[failures.length - 1], result }
  if (await ctx.stopRequested()) return { state: 'cancelled', message, result }
  return { state: 'succeeded', message, result }
}

/** Sleeps until `at`; false when the job was asked to stop meanwhile. */
async function waitUntil(at: number, ctx: JobContext): Promise<boolean> {
  const ms = at - Date.now()
  if (ms > 0 && !ctx.signal.aborted) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        ctx.signal.removeEventListener('abort', done)
        resolve()
      }
      ctx.signal.addEventListener('abort', done)
    })
  }
  return !(await ctx.stopRequested())
}

async function sampledNear(state: StateDb, targetKey: string, tick: number, intervalSeconds: number): Promise<boolean> {
  const latest = await latestSample(state, targetKey)
  return latest !== null && latest.takenAt.getTime() > tick - (intervalSeconds * 1000) / 2
}

/** The sampler's own job rows (about 1,440 a day) are kept as long as the raw samples. */
export async function pruneSamplerJobs(state: StateDb, targetKey: string, retentionHours: number): Promise<number> {
  const r = await state
    .deleteFrom('job')
    .where('kind', '=', metricsSampleJob.kind)
    .where('target_key', '=', targetKey)
    .where('state', 'not in', ['queued', 'running'])
    .where('finished_at', '<', new Date(Date.now() - retentionHours * 3600_000))
    .executeTakeFirst()
  return Number(r.numDeletedRows)
}
