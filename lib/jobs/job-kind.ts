import type { Kysely } from 'kysely'
import type { AlembicSettings } from '../alembic/settings'
import type { z } from 'zod'
import type { Permission } from '../auth/permissions'
import type { AgeKeys } from '../backups/age-header'
import type { RestrictedReader } from '../db/reader-login'
import type { SamplerSettings } from '../metrics/sampler-settings'
import type { StateDb } from '../state/state-db'
import type { TargetIdentity } from '../db/target-identity'
import type { JobRow } from './job-store'

/**
 * What a job needs from the process running it. The web server builds it from its pools
 * (lib/db/server-dbs.ts), the CLI and `dbadmin jobs worker` from their configuration.
 */
export interface JobServices {
  state: StateDb
  target: TargetIdentity
  targetUrl: string
  /** The migrator's login (MIGRATOR_DATABASE_URL, else the target's): migration checks connect with it. */
  migratorUrl: string
  /** The backup login (BACKUP_DATABASE_URL, else the target's): pg_dump of the backup jobs connects with it. */
  backupUrl?: string
  /** The managed database as the monitoring login, with the dashboard's statement timeout. */
  targetDb(): Kysely<any>
  /** The managed database as the migrator: migration status for the checks. */
  migratorDb(): Kysely<any>
  /** As the backup login (reads, writes nothing) with the per-check timeout (INTEGRITY_CHECK_TIMEOUT_MS): integrity runs. */
  integrityDb(): Kysely<any>
  /** As the migrator with the per-check timeout: orphan fixes and their restores. */
  integrityWriterDb(): Kysely<any>
  /** As the maintenance login, without a statement timeout: VACUUM, ANALYZE, REINDEX jobs. */
  maintenanceDb(): Kysely<any>
  /** Where admins' own rules run. */
  ruleReader(): RestrictedReader
  /** The health sampler's settings (lib/metrics/sampler-job.ts); absent: the configuration's defaults. */
  sampler?: SamplerSettings
  settings: {
    integrityCheckTimeoutMs: number
    migrationLockTimeoutMs: number
    migrationStatementTimeoutMs: number
    pgBinDir: string
    dataPath: string
    /** Backup encryption from the configuration (lib/backups/config-keys.ts); absent or null: not encrypted. */
    backupKeys?: { encrypt: AgeKeys | null; decrypt: AgeKeys | null } | null
    /** AUDIT_RETENTION_DAYS (0 keeps the audit log for ever); absent: its default, 365. */
    auditRetentionDays?: number
    /** How to run the team's Alembic (ALEMBIC_DIR, ALEMBIC_COMMAND); null or absent: not configured. */
    alembic?: AlembicSettings | null
  }
}

export interface JobProgress {
  done?: number
  total?: number
  /** What it is doing now ("agenda_item → meeting", "saving rows"). */
  label?: string | null
}

/** What a kind's handler gets for one attempt of one job. */
export interface JobContext {
  job: { id: number; attempt: number; startedBy: string; trigger: JobRow['trigger']; refId: number | null }
  services: JobServices
  /** Saves progress on the job's row (the Jobs page polls it). Undefined fields are kept. */
  progress(p: JobProgress): Promise<void>
  /**
   * Whether to stop at the next safe point: cancel was asked (read from the row on each call: a
   * kind with thousands of quick steps reads it at most every so often), the process is shutting
   * down, the job passed its expiry, or its liveness session was lost. Kinds call it between
   * batches or steps; what they did stays done.
   */
  stopRequested(): Promise<boolean>
  /** Aborted for the same reasons (checked every second), for work that takes an AbortSignal. */
  signal: AbortSignal
  /** Records the row the job produced in its kind's own table (a migration run's id). */
  setRef(id: number): Promise<void>
}

/** How an attempt ended, as the handler reports it. A thrown error is recorded as failed. */
export interface JobOutcome {
  state: 'succeeded' | 'failed' | 'cancelled'
  /** One line for the Jobs page and the CLI. */
  message: string
  /** Plain JSON the page or the CLI shows (a check's report). */
  result?: unknown
  error?: string | null
}

export interface JobLink {
  label: string
  href: string
}

/**
 * A kind of background job: one pg-boss queue per target, a handler, and what the Jobs page shows.
 * Define one with defineJobKind() beside its concern (lib/integrity/jobs.ts, lib/migrations/check-jobs.ts)
 * and list it in lib/jobs/all-kinds.ts; the web server and `dbadmin jobs worker` then run it.
 */
export interface JobKind<I = any> {
  /** Stored in job rows and shown in filters: 'integrity.run'. */
  kind: string
  /** The pg-boss queue's prefix (letters, digits, '-'); the target's hash follows it. */
  queue: string
  /** 'Integrity run'. */
  title: string
  /** Who may cancel it (operators their kinds, admins all): a permission of lib/auth/permissions.ts. */
  cancelPermission: Permission
  /** Whether Cancel does anything once it runs (it calls stopRequested()); queued jobs can always be cancelled. */
  cancellable: boolean
  /** Validates the input when it is queued and again when a worker takes it. */
  input: z.ZodType<I>
  /** At most one queued or running job per key (e.g. per target, per table); null or absent: no limit. */
  exclusive?(input: I, target: TargetIdentity): string | null
  /** What it works on, for the Jobs page ('public.fileupload → agenda_item'). */
  subject(input: I, target: TargetIdentity): string
  /** Retries pg-boss makes after its worker died or stopped; 0 records it interrupted instead. */
  retryLimit: number
  /** pg-boss expiry: an attempt running longer is stopped and retried or failed (at most 23 h). */
  expireInMinutes: number
  /** How many jobs of this kind one process runs at once, unless JOBS_CONCURRENCY says otherwise. */
  concurrency: number
  /**
   * Inside the transaction that queues the job (so that both or neither exist): creates the
   * kind's own row and returns its id, stored as the job's ref. Throw to refuse the job.
   */
  prepare?(trx: StateDb, input: I, job: { id: number; target: TargetIdentity; startedBy: string; trigger: JobRow['trigger'] }): Promise<number | null>
  /** One attempt. Return how it ended; stopRequested() tells when to stop early. */
  run(ctx: JobContext, input: I): Promise<JobOutcome>
  /**
   * The job ended without its handler finishing it: its worker died or its process stopped
   * (job.state 'interrupted'), or it was cancelled before it started ('cancelled'). Record that in
   * the kind's own row; return the job's message (e.g. how many batches were done), or null.
   * `services` are the sweeping process's own, when it has them (a worker's, not a page's): to stop
   * on the target what the dead attempt left running there.
   */
  stopped?(state: StateDb, job: JobRow, services?: JobServices): Promise<string | null>
  /** A retry after an interruption starts: reset what the first attempt left (e.g. partial findings). */
  retrying?(state: StateDb, job: JobRow): Promise<void>
  /** Links to what the job produced, for the Jobs page. */
  links?(job: JobRow): JobLink[]
  /**
   * When it can run on a schedule: the input of a scheduled job, and the schedule's default.
   * `recordSkips`: a firing while another job holds its key leaves a row saying so (backups).
   */
  schedule?: { input: I; description: string; recordSkips?: boolean }
}

/** Identity with checking: the type ties the input schema to the handler. */
export function defineJobKind<I>(kind: JobKind<I>): JobKind<I> {
  if (!/^[a-z][a-z0-9-]{1,40}$/.test(kind.queue)) throw new Error(`job kind ${kind.kind}: queue "${kind.queue}" must be lower-case letters, digits and '-'`)
  if (kind.expireInMinutes < 1 || kind.expireInMinutes >= 23 * 60) throw new Error(`job kind ${kind.kind}: expireInMinutes must be between 1 and 1379`)
  return kind
}
