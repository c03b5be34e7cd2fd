import { writeAudit } from '../audit/audit-log'
import { type BackupRecord, listBackups } from './catalogue'
import { deleteBackup } from './delete-backup'
import { applyRetention, checkPolicy, type RetentionPolicy } from './retention'
import type { BackupKind } from './types'
import type { StateDb } from '../state/state-db'

/** A target's saved policy: applied after each successful scheduled backup while enabled. */
export interface SavedRetention {
  policy: RetentionPolicy
  enabled: boolean
  setBy: string
  setAt: Date
}

export interface RetentionPlan {
  /** What no rule keeps, kind by kind. */
  doomed: { id: string; file: string; kind: BackupKind; reason: string }[]
  kept: number
}

const nn = (v: unknown) => (v === null || v === undefined ? undefined : Number(v))

export async function getRetentionPolicy(state: StateDb, targetKey: string): Promise<SavedRetention | null> {
  const r = await state.selectFrom('backup_retention').selectAll().where('target_key', '=', targetKey).executeTakeFirst()
  if (!r) return null
  const policy: RetentionPolicy = {
    keepLast: nn(r.keep_last),
    keepDaily: nn(r.keep_daily),
    keepWeekly: nn(r.keep_weekly),
    keepMonthly: nn(r.keep_monthly),
    keepWithinDays: nn(r.keep_within_days),
  }
  for (const k of Object.keys(policy) as (keyof RetentionPolicy)[]) if (policy[k] === undefined) delete policy[k]
  return { policy, enabled: r.enabled, setBy: r.set_by, setAt: r.set_at }
}

/** Saves (replaces) the target's policy; throws when it keeps nothing. The caller audits it. */
export async function saveRetentionPolicy(state: StateDb, targetKey: string, policy: RetentionPolicy, enabled: boolean, by: string): Promise<void> {
  checkPolicy(policy)
  const values = {
    keep_last: policy.keepLast ?? null,
    keep_daily: policy.keepDaily ?? null,
    keep_weekly: policy.keepWeekly ?? null,
    keep_monthly: policy.keepMonthly ?? null,
    keep_within_days: policy.keepWithinDays ?? null,
    enabled,
    set_by: by,
    set_at: new Date(),
  }
  await state
    .insertInto('backup_retention')
    .values({ target_key: targetKey, ...values })
    .onConflict((oc) => oc.column('target_key').doUpdateSet(values))
    .execute()
}

/**
 * What a policy deletes of this target's backups, kind by kind (a schema-only backup does not count
 * toward keeping full ones). Backups in `busy` (read by a running verify, drill or restore) are kept.
 */
export async function planRetention(state: StateDb, targetKey: string, policy: RetentionPolicy, busy: Set<string>): Promise<RetentionPlan> {
  checkPolicy(policy)
  const all = await listBackups(state, targetKey, { limit: 10_000 })
  const plan: RetentionPlan = { doomed: [], kept: 0 }
  // Pre-migration dumps are ranked among themselves: taken at each migration run, they would
  // otherwise push the scheduled full backups out of "the last N", or be deleted as soon as taken.
  const groups = [
    ...(['full', 'schema', 'data'] as const).map((kind) => ({ kind, of: (b: BackupRecord) => b.kind === kind && b.origin !== 'pre_migration' })),
    { kind: 'full' as const, of: (b: BackupRecord) => b.origin === 'pre_migration' },
  ]
  for (const { kind, of } of groups) {
    const ofKind = all.filter(of)
    if (!ofKind.length) continue
    const decision = applyRetention(ofKind, policy)
    plan.kept += decision.keep.length
    for (const d of decision.delete) {
      if (busy.has(d.id)) plan.kept++
      else plan.doomed.push({ id: d.id, file: ofKind.find((b) => b.id === d.id)!.file, kind, reason: d.reason })
    }
  }
  return plan
}

/**
 * Deletes what a plan dooms; each deletion is audited as `backups.delete` by `actor` (the admin, or
 * 'schedule' after a scheduled backup) with the rule's reason. Returns the files deleted.
 */
export async function executeRetention(state: StateDb, plan: RetentionPlan, o: { targetKey: string; dir: string; actor: string }): Promise<string[]> {
  const deleted: string[] = []
  for (const d of plan.doomed) {
    const started = Date.now()
    try {
      await deleteBackup(state, d.id, { targetKey: o.targetKey, dir: o.dir, deletedBy: `${o.actor} (retention)` })
      deleted.push(d.file)
      await writeAudit(state, { actorEmail: o.actor, action: 'backups.delete', target: `backup ${d.id}`, input: { retention: true, file: d.file }, result: 'ok', code: 'ok', message: `Deleted ${d.file} by the retention policy: ${d.reason}.`, durationMs: Date.now() - started })
    } catch (e) {
      await writeAudit(state, { actorEmail: o.actor, action: 'backups.delete', target: `backup ${d.id}`, input: { retention: true, file: d.file }, result: 'failed', code: 'retention', message: `Retention could not delete ${d.file}: ${(e as Error).message}`, durationMs: Date.now() - started })
    }
  }
  return deleted
}
