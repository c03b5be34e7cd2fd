'use server'

import { revalidatePath } from 'next/cache'
import { action } from '@/lib/auth/action'
import { ActionError } from '@/lib/auth/action-result'
import type { ActionContext } from '@/lib/auth/guarded-run'
import { can } from '@/lib/auth/permissions'
import { BackupError } from '@/lib/backups/backup-error'
import { listBackups, requireBackup } from '@/lib/backups/catalogue'
import { deleteBackup } from '@/lib/backups/delete-backup'
import { restoreDrill } from '@/lib/backups/drill'
import { restoreBackup } from '@/lib/backups/restore'
import { applyRetention, type RetentionPolicy } from '@/lib/backups/retention'
import { backupSetup } from '@/lib/backups/server-backups'
import { restoreTable } from '@/lib/backups/table-restore'
import { verifyBackup } from '@/lib/backups/verify'
import { cancelBackupWork, findBackupWork, listBackupWork, startBackupJob, startBackupWork } from '@/lib/jobs/backup-jobs'
import { CreateInput, IdInput, RestoreInput, RetentionInput, VerifyInput } from './backup-inputs'
import { describeTableRestore, plural, seconds } from './backup-messages'

// Only action()-built functions are exported from this file: a unit test runs each as every role.

const actor = (ctx: ActionContext) => ({ id: ctx.user.id, email: ctx.user.email })

export const createBackupAction = action({
  name: 'backups.create',
  permission: 'backups.create',
  input: CreateInput,
  async run(ctx, input) {
    const s = await backupSetup()
    const scoped = !!(input.schemas?.length || input.tables?.length)
    const scope = scoped ? { schemas: input.schemas?.length ? input.schemas : undefined, tables: input.tables?.length ? input.tables : undefined } : undefined
    const what = `${input.kind === 'full' ? 'full' : input.kind === 'schema' ? 'schema-only' : 'data-only'} backup`
    const id = await startBackupJob(
      ctx.stateDb,
      { targetUrl: s.targetUrl, dir: s.dir, pgBinDir: s.pgBinDir, kind: input.kind, format: input.format, scope, encryption: s.encrypt, createdBy: ctx.user.email },
      { targetKey: s.targetKey, actor: actor(ctx), title: `${what[0].toUpperCase()}${what.slice(1)} (${input.format})` },
    )
    revalidatePath('/backups')
    return { message: `Started a ${what} of ${s.targetDatabase} (${input.format} format).`, data: { id }, target: `backup ${id}` }
  },
})

/** Cancels a running backup, verification or drill (operators) or restore (admins). */
export const cancelBackupWorkAction = action({
  name: 'backups.cancel',
  permission: 'backups.create',
  input: IdInput,
  target: (input) => `backup work ${input.id}`,
  async run(ctx, input) {
    const s = await backupSetup()
    const work = findBackupWork(s.targetKey, input.id)
    if (!work || work.status !== 'running') throw new ActionError('conflict', 'That is not running in this dashboard (it finished, or runs in another process).')
    if ((work.kind === 'restore' || work.kind === 'restore_table') && !can(ctx.user.role, 'backups.restore')) {
      throw new ActionError('forbidden', `Your role (${ctx.user.role}) may not stop a restore.`)
    }
    if (!cancelBackupWork(s.targetKey, input.id, ctx.user.email)) throw new ActionError('conflict', 'That is already stopping, or has just finished.')
    revalidatePath('/backups')
    return { message: `Stopping: ${work.title}. Its partial output is removed.`, target: `backup ${work.backupId}` }
  },
})

/** Checks a backup (checksum and pg_restore --list), or with drill restores it into a scratch database and compares. */
export const verifyBackupAction = action({
  name: 'backups.verify',
  permission: 'backups.create',
  input: VerifyInput,
  target: (input) => `backup ${input.id}`,
  async run(ctx, input) {
    const s = await backupSetup()
    const b = await requireBackup(ctx.stateDb, s.targetKey, input.id)
    const common = { targetUrl: s.targetUrl, dir: s.dir, pgBinDir: s.pgBinDir, keys: s.decrypt }
    const work = startBackupWork(
      ctx.stateDb,
      { kind: input.drill ? 'drill' : 'verify', backupId: b.id, targetKey: s.targetKey, title: `${input.drill ? 'Restore drill' : 'Verification'} of ${b.file}`, actor: actor(ctx), action: input.drill ? 'backups.drill' : 'backups.verify' },
      async (signal, onProgress) => {
        if (input.drill) {
          const r = await restoreDrill(ctx.stateDb, b.id, { ...common, signal, onProgress })
          if (!r.ok) throw new BackupError('verify_failed', `The drill found problems: ${r.problems.join(' ')}`)
          const matched = r.tables.length
          return `Drill passed: restored in ${seconds(r.restoreMs)}, ${plural(matched, 'table')} with the row counts of backup time, ${plural(r.orphans.length, 'relation')} checked.`
        }
        const r = await verifyBackup(ctx.stateDb, b.id, { ...common, targetKey: s.targetKey, signal })
        if (!r.ok) throw new BackupError('verify_failed', `Verification failed: ${r.error}`)
        return r.contents.checked
          ? `Verified: the checksum matches and ${r.contents.entries === null ? 'the SQL dump is complete' : `pg_restore reads its ${plural(r.contents.entries, 'entry', 'entries')}`}.`
          : `The checksum matches; ${r.contents.error}`
      },
    )
    revalidatePath('/backups')
    return { message: `Started: ${work.title}.`, data: { workId: work.id } }
  },
})

/** Restores a backup: into a new database, over the target after a safety backup, or one table. */
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
    const common = { targetUrl: s.targetUrl, dir: s.dir, pgBinDir: s.pgBinDir, keys: s.decrypt, createdBy: ctx.user.email }
    const table = input.table
    const title =
      input.mode === 'new'
        ? `Restore of ${b.file} into the new database ${dest}`
        : input.mode === 'target'
          ? `Restore of ${b.file} over ${dest}`
          : `Restore of table ${table!.schema}.${table!.table}${input.as ? ` as ${input.as}` : ''} from ${b.file} into ${dest}`
    const work = startBackupWork(
      ctx.stateDb,
      { kind: input.mode === 'table' ? 'restore_table' : 'restore', backupId: b.id, targetKey: s.targetKey, title, actor: actor(ctx), action: 'backups.restore' },
      async (signal, onProgress) => {
        if (input.mode === 'table') {
          const r = await restoreTable(ctx.stateDb, b.id, { ...common, table: table!, into: input.database ? { newDatabase: input.database } : 'target', as: input.as, signal, onProgress })
          return describeTableRestore(r)
        }
        const r = await restoreBackup(ctx.stateDb, b.id, { ...common, into: input.mode === 'new' ? { newDatabase: dest } : 'target', safetyEncryption: s.encrypt, signal, onProgress })
        return r.createdDatabase
          ? `Restored into the new database ${r.database} in ${seconds(r.durationMs)}.`
          : `Restored over ${r.database} in ${seconds(r.durationMs)}; the safety backup ${r.safetyBackupId} taken before it is kept.`
      },
    )
    revalidatePath('/backups')
    return { message: `Started: ${title}.`, data: { workId: work.id } }
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
    const busy = listBackupWork(s.targetKey).find((w) => w.status === 'running' && w.backupId === b.id && w.kind !== 'backup')
    if (busy) throw new ActionError('conflict', `${busy.title} is reading this backup: wait for it or cancel it.`)
    await deleteBackup(ctx.stateDb, b.id, { targetKey: s.targetKey, dir: s.dir, deletedBy: ctx.user.email })
    revalidatePath('/backups')
    revalidatePath('/overview')
    return { message: `Deleted ${b.file}; the catalogue keeps its record.` }
  },
})

/**
 * Applies a retention policy to this target's backups, kind by kind (a schema-only backup does not
 * count toward keeping full ones); with dryRun it only says what would go.
 */
export const applyRetentionAction = action({
  name: 'backups.retention',
  permission: 'backups.manage',
  input: RetentionInput,
  async run(ctx, input) {
    const { dryRun, ...policy } = input
    const s = await backupSetup()
    const all = await listBackups(ctx.stateDb, s.targetKey, { limit: 10_000 })
    const busy = new Set(listBackupWork(s.targetKey).filter((w) => w.status === 'running').map((w) => w.backupId))
    const doomed: { id: string; file: string; reason: string }[] = []
    let kept = 0
    for (const kind of ['full', 'schema', 'data'] as const) {
      const ofKind = all.filter((b) => b.kind === kind)
      if (!ofKind.length) continue
      let decision
      try {
        decision = applyRetention(ofKind, policy as RetentionPolicy)
      } catch (e) {
        throw new ActionError('invalid_input', `The policy ${(e as Error).message}.`)
      }
      kept += decision.keep.length
      for (const d of decision.delete) {
        if (busy.has(d.id)) kept++
        else doomed.push({ id: d.id, file: ofKind.find((b) => b.id === d.id)!.file, reason: d.reason })
      }
    }
    if (!dryRun) {
      for (const d of doomed) await deleteBackup(ctx.stateDb, d.id, { targetKey: s.targetKey, dir: s.dir, deletedBy: `${ctx.user.email} (retention)` })
      revalidatePath('/backups')
    }
    const list = doomed.length ? `: ${doomed.map((d) => d.file).join(', ')}` : ''
    return {
      message: dryRun ? `The policy would delete ${plural(doomed.length, 'backup')} and keep ${kept}${list}.` : `Deleted ${plural(doomed.length, 'backup')}, kept ${kept}${list}.`,
      data: { deleted: dryRun ? [] : doomed, wouldDelete: dryRun ? doomed : [], kept },
      target: dryRun ? 'retention preview' : 'retention',
    }
  },
})
