import { finishAudit, startAudit } from '../../lib/audit/audit-log'
import { pruneAudit } from '../../lib/audit/audit-retention'
import { CliError, JSON_FLAG, type ParsedArgs, stringFlag } from '../args'
import type { Command } from '../command'
import type { CliContext } from '../context'

/** --days: a whole number of days, at least 1. */
function daysFlag(args: ParsedArgs): number | null {
  const raw = stringFlag(args, 'days')
  if (raw === undefined) return null
  const days = /^\d{1,6}$/.test(raw) ? Number(raw) : NaN
  if (!Number.isSafeInteger(days) || days < 1) throw new CliError(`--days must be a whole number of days, 1 or more, not "${raw}"`)
  return days
}

/**
 * `dbadmin audit prune [--days N]`: deletes audit records older than N days (default
 * AUDIT_RETENTION_DAYS; 0 there keeps everything unless --days is given). The prune is itself
 * recorded, before it runs: without that record nothing is deleted.
 */
async function prune(ctx: CliContext): Promise<void> {
  const days = daysFlag(ctx.args) ?? ctx.config.AUDIT_RETENTION_DAYS
  if (days === 0) {
    const message = 'AUDIT_RETENTION_DAYS is 0: the audit log is kept for ever, nothing pruned (give --days N to prune anyway)'
    if (ctx.json) return ctx.print({ deleted: 0, days: 0, cutoff: null })
    return ctx.out(message)
  }
  const started = Date.now()
  const id = await startAudit(ctx.state(), { actorEmail: 'cli', action: 'audit.prune', target: `older than ${days} days`, input: { days } })
  try {
    const { deleted, cutoff } = await pruneAudit(ctx.state(), { olderThanDays: days })
    const message = `Deleted ${deleted} audit record${deleted === 1 ? '' : 's'} from before ${cutoff.toISOString()} (older than ${days} days)`
    await finishAudit(ctx.state(), id, { result: 'ok', code: 'ok', message, durationMs: Date.now() - started })
    if (ctx.json) return ctx.print({ deleted, days, cutoff: cutoff.toISOString() })
    ctx.out(message)
  } catch (e) {
    await finishAudit(ctx.state(), id, { result: 'error', code: 'internal', message: (e as Error)?.message ?? String(e), durationMs: Date.now() - started }).catch(() => {})
    throw e
  }
}

async function audit(ctx: CliContext): Promise<void> {
  if (ctx.args.positional[1] === 'prune') return prune(ctx)
  throw new CliError('usage: dbadmin audit prune [--days N] [--json]')
}

export const auditCommand: Command = {
  help: 'audit prune [--days N]      delete audit records older than the retention',
  subcommands: {
    prune: {
      flags: { days: { type: 'string', value: 'N' }, ...JSON_FLAG },
      check: (args) => void daysFlag(args),
      summary: 'delete audit records older than N days (default AUDIT_RETENTION_DAYS, 365); the prune itself is recorded',
    },
  },
  run: audit,
}
