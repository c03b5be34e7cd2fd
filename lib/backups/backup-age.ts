import type { NotNull } from 'kysely'
import type { StateDb } from '../state/state-db'

/**
 * Past this many hours without a successful backup the Overview shows the age in red: a daily
 * backup plus two hours of slack, the usual alert for a daily schedule (pgBackRest's check_pgbackrest
 * and the managed services' "no backup in 24 h" warn at about this age).
 */
export const BACKUP_AGE_ALERT_HOURS = 26

export interface LastBackup {
  id: string
  file: string
  kind: string
  finishedAt: Date
  /** The last verification of it, if any. */
  verifyOk: boolean | null
  verifyKind: string | null
}

/** This target's newest successful backup that still exists (deleted ones do not count). */
export async function lastSuccessfulBackup(state: StateDb, targetKey: string): Promise<LastBackup | null> {
  const r = await state
    .selectFrom('backup')
    .select(['id', 'file', 'kind', 'finished_at', 'verify_ok', 'verify_kind'])
    .where('target_key', '=', targetKey)
    .where('status', '=', 'succeeded')
    .where('deleted_at', 'is', null)
    .where('finished_at', 'is not', null)
    .$narrowType<{ finished_at: NotNull }>()
    .orderBy('finished_at', 'desc')
    .limit(1)
    .executeTakeFirst()
  return r ? { id: r.id, file: r.file, kind: r.kind, finishedAt: new Date(r.finished_at), verifyOk: r.verify_ok, verifyKind: r.verify_kind } : null
}

export interface LastDrill {
  backupId: string
  file: string
  kind: string
  at: Date
  ok: boolean
  error: string | null
}

/**
 * This target's newest restore drill, whichever backup it drilled: the Overview shows it beside the
 * newest backup, which a drill's backup stays only until the next one is taken (a weekly drill of a
 * daily backup would otherwise show for one day in seven).
 */
export async function lastDrill(state: StateDb, targetKey: string): Promise<LastDrill | null> {
  const r = await state
    .selectFrom('backup')
    .select(['id', 'file', 'kind', 'verified_at', 'verify_ok', 'verify_error'])
    .where('target_key', '=', targetKey)
    .where('verify_kind', '=', 'drill')
    .where('verified_at', 'is not', null)
    .$narrowType<{ verified_at: NotNull }>()
    .orderBy('verified_at', 'desc')
    .limit(1)
    .executeTakeFirst()
  return r ? { backupId: r.id, file: r.file, kind: r.kind, at: new Date(r.verified_at), ok: r.verify_ok === true, error: r.verify_error } : null
}

/** Whole hours since `at`, and whether that is past the alert threshold (no backup at all is). */
export function backupAge(at: Date | null, now = new Date(), alertHours = BACKUP_AGE_ALERT_HOURS): { hours: number | null; alert: boolean } {
  if (!at) return { hours: null, alert: true }
  const hours = Math.max(0, Math.floor((now.getTime() - at.getTime()) / 3_600_000))
  return { hours, alert: now.getTime() - at.getTime() > alertHours * 3_600_000 }
}
