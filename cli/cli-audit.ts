import { finishAudit, startAudit } from '../lib/audit/audit-log'
import { CliError } from './args'
import type { CliContext } from './context'

type Outcome = { result: 'ok' | 'failed' | 'error'; code: string; message: string; target?: string | null }

export interface CliAudit {
  /** Writes the change's result into its record; when that fails the command fails (exit 2). */
  finish(outcome: Outcome): Promise<void>
  /** Records a thrown error as the result, then throws it on. */
  failed(e: unknown): Promise<never>
}

/**
 * Records a change of the CLI (actor `cli`) as started, before it runs: when the audit log cannot
 * be written, the command stops here and nothing is changed, as on the pages.
 */
export async function beginCliAudit(ctx: CliContext, entry: { action: string; target: string | null; input: unknown }): Promise<CliAudit> {
  const started = Date.now()
  let id: number
  try {
    id = await startAudit(ctx.state(), { actorEmail: 'cli', ...entry })
  } catch (e) {
    throw new CliError(`nothing was changed: the audit log cannot be written (${(e as Error)?.message ?? e})`, 2)
  }
  const finish = async (o: Outcome) => {
    try {
      await finishAudit(ctx.state(), id, { ...o, durationMs: Date.now() - started })
    } catch (e) {
      throw new CliError(`the change ran, but its result could not be written to the audit log (its start is there): ${(e as Error)?.message ?? e}`, 2)
    }
  }
  return {
    finish,
    async failed(e) {
      const code = typeof (e as { code?: unknown })?.code === 'string' ? String((e as { code: string }).code) : e instanceof CliError ? 'refused' : 'internal'
      await finish({ result: e instanceof CliError || code !== 'internal' ? 'failed' : 'error', code, message: ((e as Error)?.message ?? String(e)).slice(0, 1000) }).catch(() => {})
      throw e
    },
  }
}
