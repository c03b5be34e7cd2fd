import { sql } from 'kysely'
import type { StateDb, StateRow } from '../state/state-db'
import { type JobLiveness, jobAlive, markDeadStatusRows } from '../jobs/liveness'
import { BackupError } from './backup-error'
import type { BackupFormat, BackupKind, BackupOrigin, BackupScope, TableRowCount } from './types'

/** 'interrupted': it was running when its process ended (see lib/jobs/liveness.ts). */
export type BackupStatus = 'running' | 'succeeded' | 'failed' | 'interrupted'

/** A backup as the catalogue keeps it; `file` is a name inside the backup directory. */
export interface BackupRecord {
  id: string
  /** The target's identity key (lib/db/target-identity.ts). */
  targetKey: string
  targetDatabase: string
  kind: BackupKind
  format: BackupFormat
  origin: BackupOrigin
  scope: BackupScope | null
  compression: number | null
  jobs: number | null
  file: string
  status: BackupStatus
  error: string | null
  sizeBytes: number | null
  sha256: string | null
  manifest: ManifestEntry[] | null
  encrypted: boolean
  encryption: 'passphrase' | 'recipients' | null
  serverVersion: string | null
  toolVersion: string | null
  rowCounts: TableRowCount[] | null
  estimatedBytes: number | null
  tablesTotal: number | null
  tablesDone: number
  bytesWritten: number
  createdBy: string
  migrationRunId: number | null
  startedAt: Date
  finishedAt: Date | null
  durationMs: number | null
  verifiedAt: Date | null
  verifyKind: 'checksum' | 'drill' | null
  verifyOk: boolean | null
  verifyError: string | null
  verifyDetail: unknown
  deletedAt: Date | null
  deletedBy: string | null
  /** The queued job that took it (null for uploads and safety backups). */
  jobId: number | null
}

/** One file of a directory-format backup. */
export interface ManifestEntry {
  name: string
  size: number
  sha256: string
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** True for the shape of a catalogue id; anything else (a path, `../../etc/passwd`) names no backup. */
export function isBackupId(id: string): boolean {
  return UUID.test(id)
}

/** A row with `alive`: whether its process still holds its liveness lock. */
function toRecord(r: StateRow<'backup'> & { alive: boolean }): BackupRecord {
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v))
  return {
    id: r.id,
    targetKey: r.target_key,
    targetDatabase: r.target_database,
    kind: r.kind as BackupKind,
    format: r.format as BackupFormat,
    origin: r.origin as BackupOrigin,
    scope: r.scope as BackupScope | null,
    compression: r.compression,
    jobs: r.jobs,
    file: r.file,
    status: r.status === 'running' && !r.alive ? 'interrupted' : (r.status as BackupStatus),
    error: r.error,
    sizeBytes: num(r.size_bytes),
    sha256: r.sha256,
    manifest: r.manifest as ManifestEntry[] | null,
    encrypted: r.encrypted,
    encryption: r.encryption as BackupRecord['encryption'],
    serverVersion: r.server_version,
    toolVersion: r.tool_version,
    rowCounts: r.row_counts as TableRowCount[] | null,
    estimatedBytes: num(r.estimated_bytes),
    tablesTotal: r.tables_total,
    tablesDone: r.tables_done,
    bytesWritten: Number(r.bytes_written),
    createdBy: r.created_by,
    migrationRunId: num(r.migration_run_id),
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    durationMs: num(r.duration_ms),
    verifiedAt: r.verified_at,
    verifyKind: r.verify_kind as BackupRecord['verifyKind'],
    verifyOk: r.verify_ok,
    verifyError: r.verify_error,
    verifyDetail: r.verify_detail,
    deletedAt: r.deleted_at,
    deletedBy: r.deleted_by,
    jobId: num(r.job_id),
  }
}

export interface NewBackup {
  targetKey: string
  targetDatabase: string
  kind: BackupKind
  format: BackupFormat
  origin: BackupOrigin
  scope: BackupScope | null
  compression: number | null
  jobs: number | null
  file: string
  encryption: 'passphrase' | 'recipients' | null
  createdBy: string
  migrationRunId?: number | null
  /** The job taking it, when it runs as one. */
  jobId?: number | null
  /** The directory its file is written to (its `.partial` is removed from there if its worker dies). */
  dir?: string | null
}

const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v))

/** Records backups whose process is gone as interrupted (see lib/jobs/liveness.ts). */
export const markDeadBackups = (state: StateDb) => markDeadStatusRows(state, 'backup')

/**
 * Records a backup as running before pg_dump starts, with `liveness` holding its lock before the
 * row commits. A second backup of the same target while one runs is refused (the unique index
 * decides, so two starts at once cannot both pass); the row of a backup whose process ended is
 * first marked interrupted, so it blocks nothing.
 */
export async function startBackupRecord(state: StateDb, b: NewBackup, liveness: JobLiveness): Promise<string> {
  await markDeadBackups(state)
  try {
    return await state.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('backup')
        .values({
          target_key: b.targetKey,
          target_database: b.targetDatabase,
          kind: b.kind,
          format: b.format,
          origin: b.origin,
          scope: json(b.scope),
          compression: b.compression,
          jobs: b.jobs,
          file: b.file,
          status: 'running',
          encrypted: b.encryption !== null,
          encryption: b.encryption,
          created_by: b.createdBy,
          migration_run_id: b.migrationRunId ?? null,
          job_id: b.jobId ?? null,
          dir: b.dir ?? null,
        })
        .returning(['id', 'job_no'])
        .executeTakeFirstOrThrow()
      await liveness.hold('backup', row.job_no)
      return row.id as string
    })
  } catch (e) {
    if ((e as { code?: string }).code !== '23505') throw e
    const running = await state
      .selectFrom('backup')
      .selectAll()
      .where('target_key', '=', b.targetKey)
      .where('status', '=', 'running')
      .executeTakeFirst()
    const who = running ? ` (${running.kind}, started by ${running.created_by} at ${new Date(running.started_at).toISOString().replace('T', ' ').slice(0, 19)} UTC)` : ''
    throw new BackupError('conflict', `A backup of ${b.targetDatabase} is already running${who}. Wait for it to finish or cancel it.`)
  }
}

export interface BackupProgressFields {
  tablesTotal?: number
  tablesDone?: number
  bytesWritten?: number
  estimatedBytes?: number
  serverVersion?: string
  toolVersion?: string
}

/** Saves progress and beats the heart of a running backup. */
export async function saveBackupProgress(state: StateDb, id: string, f: BackupProgressFields): Promise<void> {
  const set: Record<string, unknown> = { heartbeat_at: sql`now()` }
  if (f.tablesTotal !== undefined) set.tables_total = f.tablesTotal
  if (f.tablesDone !== undefined) set.tables_done = f.tablesDone
  if (f.bytesWritten !== undefined) set.bytes_written = f.bytesWritten
  if (f.estimatedBytes !== undefined) set.estimated_bytes = f.estimatedBytes
  if (f.serverVersion !== undefined) set.server_version = f.serverVersion
  if (f.toolVersion !== undefined) set.tool_version = f.toolVersion
  await state.updateTable('backup').set(set).where('id', '=', id).where('status', '=', 'running').execute()
}

export interface FinishedBackup {
  sizeBytes: number
  sha256: string
  manifest: ManifestEntry[] | null
  rowCounts: TableRowCount[] | null
  tablesDone: number
  durationMs: number
}

/** False when the row is no longer running (marked interrupted after this process lost its liveness session). */
export async function markBackupSucceeded(state: StateDb, id: string, f: FinishedBackup): Promise<boolean> {
  const r = await state
    .updateTable('backup')
    .set({
      status: 'succeeded',
      size_bytes: f.sizeBytes,
      bytes_written: f.sizeBytes,
      sha256: f.sha256,
      manifest: json(f.manifest),
      row_counts: json(f.rowCounts),
      tables_done: f.tablesDone,
      duration_ms: Math.round(f.durationMs),
      finished_at: sql`now()`,
      heartbeat_at: sql`now()`,
    })
    .where('id', '=', id)
    .where('status', '=', 'running')
    .executeTakeFirst()
  return Number(r.numUpdatedRows) > 0
}

export async function markBackupFailed(state: StateDb, id: string, error: string, durationMs: number): Promise<void> {
  await state
    .updateTable('backup')
    .set({ status: 'failed', error, duration_ms: Math.round(durationMs), finished_at: sql`now()`, heartbeat_at: sql`now()` })
    .where('id', '=', id)
    .where('status', '=', 'running')
    .execute()
}

/** An uploaded archive enters the catalogue already finished: nothing of it runs here. */
export async function insertUploadedBackup(
  state: StateDb,
  b: Omit<NewBackup, 'origin' | 'compression' | 'jobs' | 'encryption' | 'scope'> & { sizeBytes: number; sha256: string; toolVersion: string },
): Promise<string> {
  const row = await state
    .insertInto('backup')
    .values({
      target_key: b.targetKey,
      target_database: b.targetDatabase,
      kind: b.kind,
      format: b.format,
      origin: 'upload',
      file: b.file,
      status: 'succeeded',
      size_bytes: b.sizeBytes,
      bytes_written: b.sizeBytes,
      sha256: b.sha256,
      tool_version: b.toolVersion,
      created_by: b.createdBy,
      finished_at: sql`now()`,
      duration_ms: 0,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
}

/**
 * Rows with whether their process is alive; a running row whose process ended reads as
 * interrupted, and is marked so after the read (a lock once free stays free).
 */
async function readBackups(state: StateDb, where: (q: any) => any, limit: number): Promise<BackupRecord[]> {
  const rows = await where(state.selectFrom('backup').selectAll().select(jobAlive('backup', sql.ref('job_no')).as('alive')))
    .orderBy('started_at', 'desc')
    .orderBy('id')
    .limit(limit)
    .execute()
  const records = rows.map(toRecord)
  if (records.some((r: BackupRecord, i: number) => r.status === 'interrupted' && rows[i].status === 'running')) await markDeadBackups(state)
  return records
}

/** One backup of this target, or null (another target's backup is not found here). */
export async function getBackup(state: StateDb, targetKey: string, id: string): Promise<BackupRecord | null> {
  if (!isBackupId(id)) return null
  const [b] = await readBackups(state, (q) => q.where('id', '=', id).where('target_key', '=', targetKey), 1)
  return b ?? null
}

/** A backup of this target that exists and has not been deleted, or a not_found error. */
export async function requireBackup(state: StateDb, targetKey: string, id: string): Promise<BackupRecord> {
  const b = await getBackup(state, targetKey, id)
  if (!b || b.deletedAt) throw new BackupError('not_found', 'No such backup.')
  return b
}

/** A target's backups, newest first. */
export async function listBackups(state: StateDb, targetKey: string, opts: { includeDeleted?: boolean; limit?: number } = {}): Promise<BackupRecord[]> {
  return readBackups(state, (q) => (opts.includeDeleted ? q : q.where('deleted_at', 'is', null)).where('target_key', '=', targetKey), opts.limit ?? 500)
}

export interface Verification {
  kind: 'checksum' | 'drill'
  ok: boolean
  error: string | null
  detail: unknown
}

export async function recordVerification(state: StateDb, id: string, v: Verification): Promise<void> {
  await state
    .updateTable('backup')
    .set({ verified_at: sql`now()`, verify_kind: v.kind, verify_ok: v.ok, verify_error: v.error, verify_detail: json(v.detail) })
    .where('id', '=', id)
    .execute()
}

export async function markBackupDeleted(state: StateDb, id: string, by: string): Promise<void> {
  await state.updateTable('backup').set({ deleted_at: sql`now()`, deleted_by: by }).where('id', '=', id).execute()
}
