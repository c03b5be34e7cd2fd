import type { JobSystem } from '../lib/jobs/job-system'
import { beginCliAudit } from './cli-audit'
import type { CliContext } from './context'

/**
 * Cancels job `id` as the Jobs page's Cancel does, audited as the CLI with `input`. Recorded before
 * it runs: when the audit log cannot be written, nothing is cancelled.
 */
export async function cancelJobAsCli(ctx: CliContext, id: number, input: Record<string, unknown>): Promise<Awaited<ReturnType<JobSystem['cancel']>>> {
  const audit = await beginCliAudit(ctx, { action: 'jobs.cancel', target: `job #${id}`, input })
  const r = await (await ctx.jobs()).cancel(id).catch((e: unknown) => audit.failed(e))
  await audit.finish({ result: r.ok ? 'ok' : 'failed', code: r.ok ? 'ok' : r.job ? 'conflict' : 'not_found', message: r.message })
  return r
}
