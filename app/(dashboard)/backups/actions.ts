'use server'

import { revalidatePath } from 'next/cache'
import { action } from '@/lib/auth/action'
import { ActionError } from '@/lib/auth/action-result'
import { can } from '@/lib/auth/permissions'
import { busyBackupIds } from '@/lib/backups/busy-backups'
import { requireBackup } from '@/lib/backups/catalogue'
import { deleteBackup } from '@/lib/backups/delete-backup'
import type { RetentionPolicy } from '@/lib/backups/retention'
import { executeRetention, planRetention, type RetentionPlan, saveRetentionPolicy } from '@/lib/backups/retention-policy'
import { backupSetup } from '@/lib/backups/server-backups'
import { describeRestore, type RestoreJobInput } from '@/lib/backups/work-jobs'
import { plural } from '@/lib/format/units'
import { findJobKind } from '@/lib/jobs/all-kinds'
import { getJob } from '@/lib/jobs/job-store'
import { serverJobs } from '@/lib/jobs/server-jobs'
import { CreateInput, IdInput, JobIdInput, RestoreInput, RetentionInput, VerifyInput } from './backup-inputs'

// Only action()-built functions are exported from this file: a unit test runs each as every role.

/** Queues a job of this dashboard's target (a busy key is a JobBusyError: a conflict naming the job holding it). */
async function queue(kind: string, input: unknown, startedBy: string) {
  return (await serverJobs()).enqueue(kind, input, { startedBy, trigger: 'manual' })
}

/** Queues a backup (operators); it runs as a job with progress and cancel, one per database at a time. */
export const createBackupAction = action({
  name: 'backups.create',
  permission: 'backups.create',
  input: CreateInput,
  async run(ctx, input) {
    const s = await backupSetup()
    const job = await queue(`backup.${input.kind}`, { format: input.format, schemas: input.schemas?.length ? input.schemas : undefined, tables: input.tables?.length ? input.tables : undefined }, ctx.user.email)
    revalidatePath('/backups')
    const what = `${input.kind === 'full' ? 'full' : input.kind === 'schema' ? 'schema-only' : 'data-only'} backup`
    return { message: `Started a ${what} of ${s.targetDatabase} (${input.format} format) as job #${job.id}.`, data: { jobId: job.id }, target: `job #${job.id}` }
  },
})

/** Cancels a queued or running backup, verification or drill (operators) or restore (admins). */
export const cancelBackupWorkAction = action({
  name: 'backups.cancel',
  permission: 'backups.create',
  input: JobIdInput,
  target: (input) => `job #${input.jobId}`,
  async run(ctx, input) {
    const s = await backupSetup()
    const job = await getJob(ctx.stateDb, input.jobId)
    const kind = job && findJobKind(job.kind)
    if (!job || job.targetKey !== s.targetKey || !kind || !job.kind.startsWith('backup.')) throw new ActionError('not_found', `There is no backup job #${input.jobId}.`)
    if (!can(ctx.user.role, kind.cancelPermission)) throw new ActionError('forbidden', `Your role (${ctx.user.role}) may not stop a ${kind.title.toLowerCase()}.`)
    const r = await (await serverJobs()).cancel(job.id)
    if (!r.ok) throw new ActionError('conflict', r.message)
    revalidatePath('/backups')
    return { message: `${r.message} Partial output is removed.`, target: `job #${job.id} (${job.kind} on ${job.subject})` }
  },
})

/** Queues a check of a backup (checksum and pg_restore --list), or with drill a restore into a scratch database that compares. */
export const verifyBackupAction = action({
  name: 'backups.verify',
  permission: 'backups.create',
  input: VerifyInput,
  target: (input) => `backup ${input.id}`,
  async run(ctx, input) {
    const s = await backupSetup()
    const b = await requireBackup(ctx.stateDb, s.targetKey, input.id)
    if (b.status !== 'succeeded') throw new ActionError('conflict', `Only a finished backup can be checked; this one ${b.status === 'running' ? 'is still running' : b.status}.`)
    const job = await queue(input.drill ? 'backup.drill' : 'backup.verify', { backupId: b.id, file: b.file }, ctx.user.email)
    revalidatePath('/backups')
    return { message: `Started: ${input.drill ? 'restore drill' : 'verification'} of ${b.file} (job #${job.id}).`, data: { jobId: job.id } }
  },
})

/** Queues a restore of a backup: into a new database, over the target after a safety backup, or one table. */
export const restoreBackupAction = action({
  name: 'backups.restore',
  permission: 'backups.restore',
  input: RestoreInput,
  target: (input) => `backup ${input.id}`,
  async run(ctx, input) {
    const s = await backupSetup()
    const dest = input.mode === 'new' ? input.database! : input.mode === 'table' ? (input.database ?? s.targetDatabase) : s.targetDatabase
    if (input.confirm !== dest) {
      throw new ActionError('invalid_input', `Type ${JSON.stringify(dest)}, the database this restore writes to, to confirm.`, { confirm: `type ${dest}` })
    }
    const b = await requireBackup(ctx.stateDb, s.targetKey, input.id)
    const job: RestoreJobInput = {
      backupId: b.id,
      file: b.file,
      mode: input.mode,
      database: input.mode === 'target' ? undefined : input.database,
      table: input.mode === 'table' ? input.table : undefined,
      as: input.mode === 'table' ? input.as : undefined,
    }
    const queued = await queue('backup.restore', job, ctx.user.email)
    revalidatePath('/backups')
    return { message: `Started: ${describeRestore(job, s.targetDatabase)} (job #${queued.id}).`, data: { jobId: queued.id } }
  },
})

export const deleteBackupAction = action({
  name: 'backups.delete',
  permission: 'backups.manage',
  input: IdInput,
  target: (input) => `backup ${input.id}`,
  async run(ctx, input) {
    const s = await backupSetup()
    const b = await requireBackup(ctx.stateDb, s.targetKey, input.id)
    if ((await busyBackupIds(ctx.stateDb, s.targetKey)).has(b.id)) throw new ActionError('conflict', 'A verification, drill or restore is reading this backup: wait for it or cancel it.')
    await deleteBackup(ctx.stateDb, b.id, { targetKey: s.targetKey, dir: s.dir, deletedBy: ctx.user.email })
    revalidatePath('/backups')
    revalidatePath('/overview')
    return { message: `Deleted ${b.file}; the catalogue keeps its record.` }
  },
})

const planText = (plan: RetentionPlan) => (plan.doomed.length ? `: ${plan.doomed.map((d) => d.file).join(', ')}` : '')

/**
 * The saved retention policy (admins): preview what it deletes, save it (applied after each
 * successful scheduled backup while enabled), or save and apply it now. Per kind; backups a running
 * verification, drill or restore reads are kept.
 */
export const applyRetentionAction = action({
  name: 'backups.retention',
  permission: 'backups.manage',
  input: RetentionInput,
  target: (input) => (input.intent === 'preview' ? 'retention preview' : 'retention'),
  async run(ctx, input): Promise<{ message: string; data: { wouldDelete: RetentionPlan['doomed']; deleted: RetentionPlan['doomed']; kept: number } }> {
    const { intent, enabled, ...rules } = input
    const policy = Object.fromEntries(Object.entries(rules).filter(([, v]) => v !== undefined)) as RetentionPolicy
    const s = await backupSetup()
    const plan = await planRetention(ctx.stateDb, s.targetKey, policy, await busyBackupIds(ctx.stateDb, s.targetKey))
    const would = `would delete ${plural(plan.doomed.length, 'backup')} and keep ${plan.kept}${planText(plan)}`
    if (intent === 'preview') {
      return { message: `The policy ${would}.`, data: { wouldDelete: plan.doomed, kept: plan.kept, deleted: [] } }
    }
    await saveRetentionPolicy(ctx.stateDb, s.targetKey, policy, enabled, ctx.user.email)
    revalidatePath('/backups')
    if (intent === 'save') {
      const when = enabled ? 'Applied after each successful scheduled backup' : 'Saved switched off: scheduled backups do not apply it'
      return { message: `Saved the retention policy. ${when}; today it ${would}.`, data: { wouldDelete: plan.doomed, kept: plan.kept, deleted: [] } }
    }
    const deleted = await executeRetention(ctx.stateDb, plan, { targetKey: s.targetKey, dir: s.dir, actor: ctx.user.email })
    return {
      message: `Saved the policy and deleted ${plural(deleted.length, 'backup')}, kept ${plan.kept}${planText(plan)}.`,
      data: { deleted: plan.doomed.filter((d) => deleted.includes(d.file)), wouldDelete: [], kept: plan.kept },
    }
  },
})
