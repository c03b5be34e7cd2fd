import type { JobRow } from '../../lib/jobs/job-store'
import { waitForJob } from '../../lib/jobs/wait-for-job'
import type { CliContext } from '../context'

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
