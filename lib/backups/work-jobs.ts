import { z } from 'zod'
import { defineJobKind, type JobContext, type JobOutcome } from '../jobs/job-kind'
import { requireBackup } from './catalogue'
import { restoreDrill } from './drill'
import { auditFinished, type BackupJobSetup, backupJobSetup, backupSignal, failedOutcome, jobProgress } from './job-setup'
import { restoreBackup } from './restore'
import { plural } from '../format/units'
import { describeTableRestore, seconds } from './work-messages'
import { restoreTable } from './table-restore'
import { verifyBackup } from './verify'
import type { StateDb } from '../state/state-db'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const backupId = z.string().regex(UUID)
/** The backup's file name, for what the Jobs and Backups pages show (the job reads the catalogue itself). */
const file = z.string().max(300).optional()
const name = z.string().min(1).max(63)

/** One restore or drill per target at a time: two would compete for the server and, over the target, for its data. */
export const restoreKey = (targetKey: string) => `backup.restore:${targetKey}`

const shown = (input: { backupId?: string; file?: string }) => input.file ?? (input.backupId ? `backup ${input.backupId.slice(0, 8)}` : 'the newest full backup')

/**
 * A piece of backup work as a job's run: its outcome, a thrown error as a failed (or, when stopped,
 * cancelled) one, and the `.finished` audit record either way.
 */
async function backupWork(
  ctx: JobContext,
  o: { action: string; target: string; what: string; failed?: Record<string, unknown> },
  work: (s: BackupJobSetup) => Promise<JobOutcome>,
): Promise<JobOutcome> {
  const started = Date.now()
  let outcome: JobOutcome
  try {
    outcome = await work(backupJobSetup(ctx.services))
  } catch (e) {
    outcome = failedOutcome(e, o.what, o.failed)
  }
  await auditFinished(ctx.services.state, ctx, o.action, o.target, outcome, started)
  return outcome
}

export const VerifyJobInput = z.object({ backupId, file }).strict()
export type VerifyJobInput = z.infer<typeof VerifyJobInput>

/** Checksum plus `pg_restore --list`; the result is recorded on the backup. One at a time per backup. */
export const verifyJob = defineJobKind<VerifyJobInput>({
  kind: 'backup.verify',
  queue: 'backup-verify',
  title: 'Backup verification',
  cancelPermission: 'backups.create',
  cancellable: true,
  input: VerifyJobInput,
  exclusive: (input, target) => `backup.verify:${target.key}:${input.backupId}`,
  subject: (input) => shown(input),
  retryLimit: 1,
  expireInMinutes: 6 * 60,
  concurrency: 2,
  run: (ctx, input) =>
    backupWork(ctx, { action: 'backups.verify', target: `backup ${input.backupId}`, what: 'The verification', failed: { backupId: input.backupId } }, async (s) => {
      const { state, target } = ctx.services
      await requireBackup(state, target.key, input.backupId)
      await ctx.progress({ label: 'checking the checksum and the archive' })
      const r = await verifyBackup(state, input.backupId, { targetKey: target.key, dir: s.dir, pgBinDir: s.pgBinDir, keys: s.decrypt, signal: backupSignal(ctx.signal) })
      const result = { ...r, backupId: input.backupId }
      if (!r.ok) return { state: 'failed', message: `Verification failed: ${r.error}`, error: r.error, result }
      const message = r.contents.checked
        ? `Verified: the checksum matches and ${r.contents.entries === null ? 'the SQL dump is complete' : `pg_restore reads its ${plural(r.contents.entries, 'entry', 'entries')}`}.`
        : `The checksum matches; ${r.contents.error}`
      return { state: 'succeeded', message, result }
    }),
  links: (job) => [{ label: 'Backups', href: `/backups#backup-${String(job.input.backupId)}` }],
})

export const DrillJobInput = z.object({ backupId: backupId.optional(), file }).strict()
export type DrillJobInput = z.infer<typeof DrillJobInput>

/** The newest successful whole full backup of the target (what a scheduled drill proves). */
async function newestFullBackup(state: StateDb, targetKey: string): Promise<{ id: string; file: string } | null> {
  const row = await state
    .selectFrom('backup')
    .select(['id', 'file'])
    .where('target_key', '=', targetKey)
    .where('kind', '=', 'full')
    .where('status', '=', 'succeeded')
    .where('deleted_at', 'is', null)
    .where('scope', 'is', null)
    .orderBy('started_at', 'desc')
    .limit(1)
    .executeTakeFirst()
  return row ? { id: row.id, file: row.file } : null
}

/**
 * A restore drill: restores into a scratch database, compares row counts with those of backup
 * time, runs the orphan checks, drops it. Scheduled (weekly by default) it drills the newest full backup.
 */
export const drillJob = defineJobKind<DrillJobInput>({
  kind: 'backup.drill',
  queue: 'backup-drill',
  title: 'Restore drill',
  cancelPermission: 'backups.create',
  cancellable: true,
  input: DrillJobInput,
  exclusive: (_input, target) => restoreKey(target.key),
  subject: (input) => shown(input),
  retryLimit: 0,
  expireInMinutes: 12 * 60,
  concurrency: 1,
  async run(ctx, input): Promise<JobOutcome> {
    const { state, target } = ctx.services
    const chosen = input.backupId ? await requireBackup(state, target.key, input.backupId).catch(() => null) : await newestFullBackup(state, target.key)
    if (!chosen) {
      return backupWork(ctx, { action: 'backups.drill', target: 'backup', what: 'The drill' }, async () =>
        input.backupId
          ? { state: 'failed', message: 'No such backup.', error: 'No such backup.' }
          : { state: 'failed', message: 'Nothing to drill: there is no successful full backup of this database yet.', error: 'no full backup' },
      )
    }
    return backupWork(ctx, { action: 'backups.drill', target: `backup ${chosen.id}`, what: 'The drill', failed: { backupId: chosen.id, file: chosen.file } }, async (s) => {
      const r = await restoreDrill(state, chosen.id, { targetUrl: s.targetUrl, dir: s.dir, pgBinDir: s.pgBinDir, keys: s.decrypt, signal: backupSignal(ctx.signal), onProgress: jobProgress(ctx) })
      const result = { ...r, file: chosen.file }
      return r.ok
        ? {
            state: 'succeeded',
            message: `Drill of ${chosen.file} passed: restored in ${seconds(r.restoreMs)}, ${plural(r.tables.length, 'table')} with the row counts of backup time, ${plural(r.orphans.length, 'relation')} checked.`,
            result,
          }
        : { state: 'failed', message: `The drill of ${chosen.file} found problems: ${r.problems.join(' ')}`, error: r.problems.join(' ') || r.error, result }
    })
  },
  links: () => [{ label: 'Backups', href: '/backups' }],
  schedule: { input: {}, description: 'Restores the newest full backup into a scratch database, compares row counts and runs the orphan checks.', recordSkips: true },
})

export const RestoreJobInput = z
  .object({
    backupId,
    file,
    mode: z.enum(['new', 'target', 'table']),
    /** The new database (mode new, or mode table into a new one). */
    database: name.optional(),
    table: z.object({ schema: name, table: name }).optional(),
    as: name.optional(),
  })
  .strict()
  .refine((v) => (v.mode === 'new' ? !!v.database : v.mode === 'table' ? !!v.table : !v.database), { message: 'a restore needs its destination' })
export type RestoreJobInput = z.infer<typeof RestoreJobInput>

/** What a restore does, in words (the job's subject). */
export function describeRestore(input: RestoreJobInput, targetDatabase: string): string {
  const f = shown(input)
  if (input.mode === 'new') return `Restore of ${f} into the new database ${input.database}`
  if (input.mode === 'target') return `Restore of ${f} over ${targetDatabase}`
  const t = input.table!
  return `Restore of table ${t.schema}.${t.table}${input.as ? ` as ${input.as}` : ''} from ${f} into ${input.database ?? targetDatabase}`
}

/** A restore (admins): into a new database, over the target after a safety backup, or one table. Never retried. */
export const restoreJob = defineJobKind<RestoreJobInput>({
  kind: 'backup.restore',
  queue: 'backup-restore',
  title: 'Restore',
  cancelPermission: 'backups.restore',
  cancellable: true,
  input: RestoreJobInput as unknown as z.ZodType<RestoreJobInput>,
  exclusive: (_input, target) => restoreKey(target.key),
  subject: (input, target) => describeRestore(input, target.database),
  retryLimit: 0,
  expireInMinutes: 12 * 60,
  concurrency: 1,
  run: (ctx, input) =>
    backupWork(ctx, { action: 'backups.restore', target: `backup ${input.backupId}`, what: 'The restore', failed: { backupId: input.backupId } }, async (s) => {
      const { state, target } = ctx.services
      const common = { targetUrl: s.targetUrl, dir: s.dir, pgBinDir: s.pgBinDir, keys: s.decrypt, createdBy: ctx.job.startedBy, signal: backupSignal(ctx.signal), onProgress: jobProgress(ctx) }
      await requireBackup(state, target.key, input.backupId)
      if (input.mode === 'table') {
        const r = await restoreTable(state, input.backupId, { ...common, table: input.table!, into: input.database ? { newDatabase: input.database } : 'target', as: input.as })
        return { state: 'succeeded', message: describeTableRestore(r), result: r }
      }
      const r = await restoreBackup(state, input.backupId, { ...common, into: input.mode === 'new' ? { newDatabase: input.database! } : 'target', safetyEncryption: s.encrypt })
      return {
        state: 'succeeded',
        message: r.createdDatabase
          ? `Restored into the new database ${r.database} in ${seconds(r.durationMs)}.`
          : `Restored over ${r.database} in ${seconds(r.durationMs)}; the safety backup ${r.safetyBackupId} taken before it is kept.`,
        result: r,
      }
    }),
  links: () => [{ label: 'Backups', href: '/backups' }],
})

export const BACKUP_WORK_KINDS = ['backup.verify', 'backup.drill', 'backup.restore']
