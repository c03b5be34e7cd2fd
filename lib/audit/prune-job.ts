import { z } from 'zod'
import { defineJobKind, type JobOutcome } from '../jobs/job-kind'
import { finishAudit, startAudit } from './audit-log'
import { pruneAudit } from './audit-retention'

/** AUDIT_RETENTION_DAYS's default, for job services built without it. */
export const DEFAULT_AUDIT_RETENTION_DAYS = 365

export interface AuditPruneInput {
  /** Overrides the configured retention (as `dbadmin audit prune --days N`); absent: AUDIT_RETENTION_DAYS. */
  days?: number
}

/**
 * The audit log's retention, applied daily by a schedule (AUDIT_PRUNE_CRON) or when queued. One
 * prune at a time per state database (the audit log is shared by every target on it). The prune is
 * recorded before it deletes anything: without that record nothing is deleted.
 */
export const auditPruneJob = defineJobKind<AuditPruneInput>({
  kind: 'audit.prune',
  queue: 'audit-prune',
  title: 'Audit prune',
  cancelPermission: 'audit.read',
  // Short batches of deletes: it finishes quickly; a queued one can still be cancelled.
  cancellable: false,
  input: z.object({ days: z.number().int().min(1).max(36_500).optional() }).strict(),
  exclusive: () => 'audit.prune',
  subject: (input) => (input.days ? `audit log (older than ${input.days} days)` : 'audit log'),
  retryLimit: 1,
  expireInMinutes: 60,
  concurrency: 1,
  async run(ctx, input): Promise<JobOutcome> {
    const { state, settings } = ctx.services
    const days = input.days ?? settings.auditRetentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS
    if (days === 0) return { state: 'succeeded', message: 'AUDIT_RETENTION_DAYS is 0: the audit log is kept for ever, nothing pruned.', result: { deleted: 0, days: 0 } }
    const started = Date.now()
    const auditId = await startAudit(state, { actorEmail: ctx.job.startedBy, action: 'audit.prune', target: `older than ${days} days`, input: { days, job: ctx.job.id } })
    try {
      await ctx.progress({ label: `deleting records older than ${days} days` })
      const { deleted, cutoff } = await pruneAudit(state, { olderThanDays: days })
      const message = `Deleted ${deleted} audit record${deleted === 1 ? '' : 's'} from before ${cutoff.toISOString()} (older than ${days} days)`
      await finishAudit(state, auditId, { result: 'ok', code: 'ok', message, durationMs: Date.now() - started })
      return { state: 'succeeded', message: `${message}.`, result: { deleted, days, cutoff: cutoff.toISOString() } }
    } catch (e) {
      const message = (e as Error)?.message ?? String(e)
      await finishAudit(state, auditId, { result: 'error', code: 'internal', message, durationMs: Date.now() - started }).catch(() => {})
      throw e
    }
  },
  links: () => [{ label: 'audit log', href: '/audit?action=audit.prune' }],
  schedule: { input: {}, description: 'Deletes audit records older than AUDIT_RETENTION_DAYS.' },
})
