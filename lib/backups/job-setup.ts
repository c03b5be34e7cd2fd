import { writeAudit } from '../audit/audit-log'
import type { JobContext, JobOutcome, JobServices } from '../jobs/job-kind'
import { formatBytes } from '../format/units'
import type { AgeKeys } from './age-header'
import { BackupError } from './backup-error'
import { backupDirectory } from './backup-files'
import type { WorkProgress } from './types'
import type { StateDb } from '../state/state-db'

/** What backup work needs from the process running it (its configuration, through the job services). */
export interface BackupJobSetup {
  targetUrl: string
  /** pg_dump's login for the backup kinds: the backup capability (read-only) where one is configured. */
  dumpUrl: string
  dir: string
  pgBinDir: string
  encrypt: AgeKeys | null
  decrypt: AgeKeys | null
}

export function backupJobSetup(services: JobServices): BackupJobSetup {
  const keys = services.settings.backupKeys ?? null
  return {
    targetUrl: services.targetUrl,
    dumpUrl: services.backupUrl ?? services.targetUrl,
    dir: backupDirectory(services.settings.dataPath),
    pgBinDir: services.settings.pgBinDir,
    encrypt: keys?.encrypt ?? null,
    decrypt: keys?.decrypt ?? null,
  }
}

const STOP_TEXT: Record<string, string> = {
  cancel: 'Cancelled on request.',
  shutdown: 'Stopped: the process running it shut down.',
  expired: 'Stopped: it ran longer than its expiry.',
  lost: 'Stopped: its worker lost its session on the state database.',
}

/**
 * The job's stop signal as the backup library reads it: aborted with a BackupError that says why
 * (the library records that message on the backup and removes its partial output).
 */
export function backupSignal(signal: AbortSignal): AbortSignal {
  const controller = new AbortController()
  const relay = () => controller.abort(new BackupError('cancelled', STOP_TEXT[String(signal.reason)] ?? 'Cancelled.'))
  if (signal.aborted) relay()
  else signal.addEventListener('abort', relay, { once: true })
  return controller.signal
}

const PROGRESS_MS = 1_000

/** The library's progress on the job's row: tables done of total, and phase · bytes · table as its label; at most once a second. */
export function jobProgress(ctx: JobContext): (p: WorkProgress) => void {
  let last = 0
  let phase = ''
  return (p) => {
    if (Date.now() - last < PROGRESS_MS && p.phase === phase) return
    last = Date.now()
    phase = p.phase
    const label = [p.phase, p.bytesWritten ? formatBytes(p.bytesWritten) : null, p.currentTable ?? null].filter(Boolean).join(' · ')
    void ctx.progress({ done: p.tablesDone ?? 0, total: p.tablesTotal ?? 0, label }).catch(() => {})
  }
}

/** The outcome of work that threw: cancelled when it was stopped, failed with the library's message otherwise. */
export function failedOutcome(e: unknown, what: string, result?: unknown): JobOutcome {
  if (e instanceof BackupError && e.backupCode === 'cancelled') return { state: 'cancelled', message: e.message, result }
  const message = e instanceof BackupError ? e.message : `${what} failed: ${(e as Error)?.message ?? e}`
  return { state: 'failed', message, error: message, result }
}

/** The end of backup work in the audit log, as the one who started it (the start was audited by the action or the CLI). */
export async function auditFinished(state: StateDb, ctx: JobContext, action: string, target: string, outcome: JobOutcome, startedAt: number): Promise<void> {
  await writeAudit(state, {
    actorEmail: ctx.job.startedBy,
    action: `${action}.finished`,
    target,
    input: { job: ctx.job.id, trigger: ctx.job.trigger },
    result: outcome.state === 'succeeded' ? 'ok' : 'failed',
    code: outcome.state === 'succeeded' ? 'ok' : outcome.state,
    message: outcome.message,
    durationMs: Date.now() - startedAt,
  }).catch((e: unknown) => console.error('[dbadmin] audit of finished backup work failed:', e))
}
