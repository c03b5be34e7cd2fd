import path from 'node:path'
import { z } from 'zod'
import { defineJobKind, type JobKind, type JobOutcome } from '../jobs/job-kind'
import { BackupError } from './backup-error'
import { busyBackupIds } from './busy-backups'
import { markDeadBackups } from './catalogue'
import { removeTree } from './backup-files'
import { createBackup } from './create-backup'
import { auditFinished, backupJobSetup, backupSignal, failedOutcome, jobProgress } from './job-setup'
import { executeRetention, getRetentionPolicy, planRetention } from './retention-policy'
import type { BackupKind } from './types'

const name = z.string().min(1).max(63)
export const BackupJobInput = z
  .object({
    format: z.enum(['custom', 'directory', 'plain']).default('custom'),
    schemas: z.array(name).max(50).optional(),
    tables: z.array(z.object({ schema: name, table: name })).max(200).optional(),
    /** A pre-migration dump: the migration run it is taken before (the run waits for this job; backup.full only). */
    migrationRunId: z.number().int().positive().optional(),
  })
  .strict()
export type BackupJobInput = z.input<typeof BackupJobInput>

const WHAT: Record<BackupKind, string> = { full: 'Full backup', schema: 'Schema-only backup', data: 'Data-only backup' }

/** One backup of a target at a time, whatever its kind: the kinds share this key. */
export const backupKey = (targetKey: string) => `backup:${targetKey}`

/**
 * A backup of one kind as a job: pg_dump with progress on the job's row, stopped by cancel (its
 * partial output removed), recorded in the catalogue. A kind each, so that each has a schedule of
 * its own; after a successful scheduled backup the saved retention policy is applied. Never
 * retried: a backup whose worker died is recorded interrupted and its partial file removed.
 */
function backupJobKind(kind: BackupKind): JobKind<BackupJobInput> {
  return defineJobKind<BackupJobInput>({
    kind: `backup.${kind}`,
    queue: `backup-${kind}`,
    title: WHAT[kind],
    cancelPermission: 'backups.create',
    cancellable: true,
    input: BackupJobInput as unknown as z.ZodType<BackupJobInput>,
    exclusive: (_input, target) => backupKey(target.key),
    subject: (input, target) => {
      const scope = [...(input.schemas ?? []).map((s) => `schema ${s}`), ...(input.tables ?? []).map((t) => `${t.schema}.${t.table}`)]
      const before = input.migrationRunId !== undefined ? `; before migration run #${input.migrationRunId}` : ''
      return `${target.database} (${input.format ?? 'custom'}${scope.length ? `; ${scope.join(', ')}` : ''}${before})`
    },
    retryLimit: 0,
    expireInMinutes: 12 * 60,
    concurrency: 1,
    async run(ctx, raw): Promise<JobOutcome> {
      const input = BackupJobInput.parse(raw)
      const { state } = ctx.services
      const s = backupJobSetup(ctx.services)
      const started = Date.now()
      const scoped = !!(input.schemas?.length || input.tables?.length)
      const preMigration = input.migrationRunId !== undefined
      let backupId: string | undefined
      let outcome: JobOutcome
      try {
        if (preMigration && (kind !== 'full' || scoped)) throw new BackupError('invalid_input', 'A pre-migration backup is a whole full backup.')
        const r = await createBackup(state, {
          targetUrl: s.dumpUrl,
          dir: s.dir,
          pgBinDir: s.pgBinDir,
          kind,
          format: input.format,
          scope: scoped ? { schemas: input.schemas?.length ? input.schemas : undefined, tables: input.tables?.length ? input.tables : undefined } : undefined,
          encryption: s.encrypt,
          origin: preMigration ? 'pre_migration' : ctx.job.trigger === 'schedule' ? 'scheduled' : 'manual',
          migrationRunId: input.migrationRunId,
          createdBy: ctx.job.startedBy,
          jobId: ctx.job.id,
          signal: backupSignal(ctx.signal),
          onStarted: (id) => (backupId = id),
          onProgress: jobProgress(ctx),
        })
        const result: Record<string, unknown> = { backupId: r.id, file: r.file, sizeBytes: r.sizeBytes, sha256: r.sha256 }
        let retention = ''
        if (ctx.job.trigger === 'schedule') {
          const saved = await getRetentionPolicy(state, ctx.services.target.key)
          if (saved?.enabled) {
            const plan = await planRetention(state, ctx.services.target.key, saved.policy, await busyBackupIds(state, ctx.services.target.key))
            const deleted = await executeRetention(state, plan, { targetKey: ctx.services.target.key, dir: s.dir, actor: 'schedule' })
            result.retentionDeleted = deleted
            retention = ` Retention deleted ${deleted.length} older backup${deleted.length === 1 ? '' : 's'}.`
          }
        }
        const what = preMigration ? `Pre-migration backup ${r.file} (run #${input.migrationRunId})` : `Backup ${r.file}`
        outcome = { state: 'succeeded', message: `${what} succeeded (${r.sizeBytes} bytes).${retention}`, result }
      } catch (e) {
        backupId ??= (e as { backupId?: string }).backupId
        outcome = failedOutcome(e, 'The backup', backupId ? { backupId } : undefined)
      }
      await auditFinished(state, ctx, 'backups.create', backupId ? `backup ${backupId}` : 'backup', outcome, started)
      return outcome
    },
    async stopped(state, job) {
      // Its worker died (or it was cancelled before it started): the catalogue row, if pg_dump had
      // started, reads interrupted once its process's lock is gone; its partial file goes with it.
      await markDeadBackups(state)
      const rows = await state.selectFrom('backup').select(['file', 'dir', 'status']).where('job_id', '=', job.id).execute()
      for (const r of rows) if (r.dir && r.status !== 'running') removeTree(path.join(r.dir, `${path.basename(r.file)}.partial`))
      return rows.some((r) => r.status === 'interrupted') ? 'Its worker stopped before it finished: the backup is recorded interrupted and its partial file removed.' : null
    },
    links: (job) => {
      const id = (job.result as { backupId?: string } | null)?.backupId
      return [{ label: id ? 'backup' : 'Backups', href: id ? `/backups#backup-${id}` : '/backups' }]
    },
    schedule: { input: { format: 'custom' }, description: `${WHAT[kind]} (custom format); the saved retention policy is applied after it succeeds.`, recordSkips: true },
  })
}

export const fullBackupJob = backupJobKind('full')
export const schemaBackupJob = backupJobKind('schema')
export const dataBackupJob = backupJobKind('data')
export const BACKUP_KINDS = ['backup.full', 'backup.schema', 'backup.data']

