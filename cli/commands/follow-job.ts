import type { JobRow } from '../../lib/jobs/job-store'
import { waitForJob } from '../../lib/jobs/wait-for-job'
import { CliError } from '../args'
import { cancelJobAsCli } from '../cancel-job'
import type { CliContext } from '../context'
import { signalExitCode, trapStopSignals } from '../stop-signals'

/**
 * Waits for a queued job to end, with its progress on stderr if asked (not with --json): whichever worker
 * takes it, this process's own or a server's, the job's row tells.
 */
export async function followJob(ctx: CliContext, job: JobRow, opts: { progress?: boolean } = {}): Promise<JobRow> {
  const jobs = await ctx.jobs()
  const kind = jobs.kind(job.kind)
  let shown = ''
  for (;;) {
    const now = await waitForJob(ctx.state(), job.id, {
      timeoutMs: 1_000,
      everyMs: 100,
      markDead: () => jobs.markDead(),
      retriesLeft: (j) => kind.retryLimit - (j.attempts - 1) > 0,
    })
    if (!ctx.json && opts.progress) {
      const p = now.progress
      const line = now.state === 'queued' ? `job #${now.id} queued` : p.total ? `[${p.done ?? 0}/${p.total}] ${p.label ?? ''}`.trimEnd() : (p.label ?? '')
      if (line && line !== shown) process.stderr.write(`${line}\n`)
      shown = line
    }
    if (now.state !== 'queued' && now.state !== 'running' && !(now.state === 'interrupted' && kind.retryLimit - (now.attempts - 1) > 0)) return now
  }
}

/** A job this command started and waited for, and the stop signal that cancelled it, if one came. */
export interface FollowedJob {
  job: JobRow
  signal: NodeJS.Signals | null
}

/**
 * followJob for a job this command started: Ctrl-C, SIGTERM or SIGHUP cancels it as `dbadmin jobs
 * cancel` does (audited as the CLI; its running statement is cancelled on the server, its row ends
 * cancelled and pg-boss does not run it again), and the wait goes on until it has stopped. A second
 * signal exits at once. `stoppedBySignal` then turns the signal into the command's end.
 */
export async function followOwnJob(ctx: CliContext, job: JobRow, opts: { progress?: boolean } = {}): Promise<FollowedJob> {
  let cancelling: Promise<unknown> = Promise.resolve()
  const trap = trapStopSignals(() => {
    cancelling = cancelJobAsCli(ctx, job.id, { id: job.id, signal: trap.received() }).catch(() => {})
  })
  try {
    const done = await followJob(ctx, job, opts)
    await cancelling
    return { job: done, signal: trap.received() }
  } finally {
    trap.release()
  }
}

/**
 * The end of a command whose job a signal cancelled: one line ("cancelled integrity run #7") and
 * the exit code of that signal (130 for SIGINT, 143 for SIGTERM). Nothing when no signal came.
 */
export function stoppedBySignal(f: FollowedJob, what: string): void {
  if (!f.signal) return
  const how = f.job.state === 'cancelled' ? `cancelled ${what}` : `${what} ${f.job.state} before it could be cancelled`
  throw new CliError(how, signalExitCode(f.signal))
}
