import { type Kysely, sql } from 'kysely'
import { BackupError } from './backup-error'
import type { BackupFormat, BackupKind, BackupOrigin, BackupScope, TableRowCount } from './types'

export type BackupStatus = 'running' | 'succeeded' | 'failed'

/** A backup as the catalogue keeps it; `file` is a name inside the backup directory. */
export interface BackupRecord {
  id: string
  targetDatabase: string
  kind: BackupKind
  format: BackupFormat
  origin: BackupOrigin
  scope: BackupScope | null
  compression: number | null
  jobs: number | null
  file: string
  /** 'interrupted' when it was running but its process stopped beating. */
  status: BackupStatus | 'interrupted'
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
}

/** One file of a directory-format backup. */
export interface ManifestEntry {
  name: string
  size: number
  sha256: string
}

/** A running backup whose heartbeat is older than this lost its process. */
export const BACKUP_HEARTBEAT_STALE_SECONDS = 120
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** True for the shape of a catalogue id; anything else (a path, `../../etc/passwd`) names no backup. */
export function isBackupId(id: string): boolean {
  return UUID.test(id)
}

function toRecord(r: any): BackupRecord {
  const stale = r.status === 'running' && Date.now() - new Date(r.heartbeat_at).getTime() > BACKUP_HEARTBEAT_STALE_SECONDS * 1000
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v))
  return {
    id: r.id,
    targetDatabase: r.target_database,
    kind: r.kind,
    format: r.format,
    origin: r.origin,
    scope: r.scope,
    compression: r.compression,
    jobs: r.jobs,
    file: r.file,
    status: stale ? 'interrupted' : r.status,
    error: r.error,
    sizeBytes: num(r.size_bytes),
    sha256: r.sha256,
    manifest: r.manifest,
    encrypted: r.encrypted,
    encryption: r.encryption,
    serverVersion: r.server_version,
    toolVersion: r.tool_version,
    rowCounts: r.row_counts,
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
    verifyKind: r.verify_kind,
    verifyOk: r.verify_ok,
    verifyError: r.verify_error,
    verifyDetail: r.verify_detail,
    deletedAt: r.deleted_at,
    deletedBy: r.deleted_by,
  }
}

export interface NewBackup {
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
}

const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v))

/**
 * Records a backup as running before pg_dump starts. A second backup of the same target while one
 * runs is refused (the unique index decides, so two starts at once cannot both pass); a running row
 * whose process stopped beating is first marked failed so that it does not block forever.
 */
export async function startBackupRecord(state: Kysely<any>, b: NewBackup): Promise<string> {
  await state
    .updateTable('backup')
    .set({ status: 'failed', error: 'Interrupted: the process running it stopped.', finished_at: sql`now()` })
    .where('target_database', '=', b.targetDatabase)
    .where('status', '=', 'running')
    .where('heartbeat_at', '<', sql<Date>`now() - make_interval(secs => ${BACKUP_HEARTBEAT_STALE_SECONDS})`)
    .execute()
  try {
    const row = await state
      .insertInto('backup')
      .values({
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
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    return row.id
  } catch (e) {
    if ((e as { code?: string }).code !== '23505') throw e
    const running = await state
      .selectFrom('backup')
      .selectAll()
      .where('target_database', '=', b.targetDatabase)
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
export async function saveBackupProgress(state: Kysely<any>, id: string, f: BackupProgressFields): Promise<void> {
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

export async function markBackupSucceeded(state: Kysely<any>, id: string, f: FinishedBackup): Promise<void> {
  await state
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
    .execute()
}

export async function markBackupFailed(state: Kysely<any>, id: string, error: string, durationMs: number): Promise<void> {
  await state
    .updateTable('backup')
    .set({ status: 'failed', error, duration_ms: Math.round(durationMs), finished_at: sql`now()`, heartbeat_at: sql`now()` })
    .where('id', '=', id)
    .execute()
}

/** An uploaded archive enters the catalogue already finished: nothing of it runs here. */
export async function insertUploadedBackup(
  state: Kysely<any>,
  b: Omit<NewBackup, 'origin' | 'compression' | 'jobs' | 'encryption' | 'scope'> & { sizeBytes: number; sha256: string; toolVersion: string },
): Promise<string> {
  const row = await state
    .insertInto('backup')
    .values({
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

export async function getBackup(state: Kysely<any>, id: string): Promise<BackupRecord | null> {
  if (!isBackupId(id)) return null
  const row = await state.selectFrom('backup').selectAll().where('id', '=', id).executeTakeFirst()
  return row ? toRecord(row) : null
}

/** A backup that exists and has not been deleted, or a not_found error. */
export async function requireBackup(state: Kysely<any>, id: string): Promise<BackupRecord> {
  const b = await getBackup(state, id)
  if (!b || b.deletedAt) throw new BackupError('not_found', 'No such backup.')
  return b
}

export async function listBackups(
  state: Kysely<any>,
  targetDatabase: string,
  opts: { includeDeleted?: boolean; limit?: number } = {},
): Promise<BackupRecord[]> {
  let q = state.selectFrom('backup').selectAll().where('target_database', '=', targetDatabase)
  if (!opts.includeDeleted) q = q.where('deleted_at', 'is', null)
  const rows = await q.orderBy('started_at', 'desc').orderBy('id').limit(opts.limit ?? 500).execute()
  return rows.map(toRecord)
}

export interface Verification {
  kind: 'checksum' | 'drill'
  ok: boolean
  error: string | null
  detail: unknown
}

export async function recordVerification(state: Kysely<any>, id: string, v: Verification): Promise<void> {
  await state
    .updateTable('backup')
    .set({ verified_at: sql`now()`, verify_kind: v.kind, verify_ok: v.ok, verify_error: v.error, verify_detail: json(v.detail) })
    .where('id', '=', id)
    .execute()
}

export async function markBackupDeleted(state: Kysely<any>, id: string, by: string): Promise<void> {
  await state.updateTable('backup').set({ deleted_at: sql`now()`, deleted_by: by }).where('id', '=', id).execute()
}
