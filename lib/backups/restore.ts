import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

import { openPrivateFile } from '../runtime/private-files'
import type { AgeKeys } from './age-header'
import { type ArchiveInput, archiveInput } from './archive-input'
import { listArchive } from './archive-tools'
import type { TocEntry } from './toc'
import { BackupError, cancelledError } from './backup-error'
import { removeTree } from './backup-files'
import { type BackupRecord, requireBackup } from './catalogue'
import { createBackup } from './create-backup'
import { DumpProgress, finishedItem } from './dump-progress'
import { findToolsFor, type PgTools } from './pg-tools'
import { createRestoreDatabase, describeTarget, dropRestoreDatabase } from './restore-database'
import { describeExit, pipeInto, runTool, startTool } from './tool-process'
import type { ProgressCallback } from './types'
import type { StateDb } from '../state/state-db'

export interface RestoreOptions {
  /** The managed database; new databases are made on its server. */
  targetUrl: string
  dir: string
  pgBinDir: string
  /** Keys to open an encrypted backup. */
  keys?: AgeKeys | null
  /** A new database of this name (the default way), or 'target' to restore over the target after a safety backup. */
  into: { newDatabase: string } | 'target'
  /** pg_restore workers for a new database from an unencrypted custom or directory archive. */
  jobs?: number
  createdBy: string
  /** Encryption of the safety backup taken before restoring over the target. */
  safetyEncryption?: AgeKeys | null
  onProgress?: ProgressCallback
  /**
   * An entry of the archive is done (its transaction committed) while the restore goes on, with
   * the archive's entries: a parallel restore into a new database says so per entry ("finished
   * item N"); a serial or plain one never does.
   */
  onItemFinished?: (entry: TocEntry, toc: TocEntry[]) => void
  signal?: AbortSignal
}

export interface RestoreResult {
  backupId: string
  database: string
  createdDatabase: boolean
  safetyBackupId: string | null
  durationMs: number
}

export const DEFAULT_RESTORE_JOBS = 2

/** Runs pg_restore or psql on an archive with progress from its verbose output; throws on any failure. */
export async function runRestoreTool(
  tools: PgTools,
  input: ArchiveInput,
  args: string[],
  o: {
    url: string
    psql?: boolean
    tablesTotal?: number
    onProgress?: ProgressCallback
    /** pg_restore's parallel "finished item N": the archive's entry N is done (its transaction committed). */
    onItemFinished?: (id: number) => void
    signal?: AbortSignal
    phase?: string
  },
): Promise<void> {
  const progress = new DumpProgress()
  const report = () =>
    o.onProgress?.({ phase: o.phase ?? 'restoring', tablesDone: progress.done, tablesTotal: o.tablesTotal, currentTable: progress.current, pid: t.child.pid })
  const stream = input.seekable ? null : await input.open()
  const bin = o.psql ? tools.psql : tools.pgRestore
  // pg_restore reads no PGDATABASE; a conninfo keeps a name with '=' in it from being taken for one.
  if (!o.psql) args = [...args, `--dbname=${dbnameConninfo(o.url)}`]
  const t = startTool(bin, stream ? args : [...args, input.path], {
    url: o.url,
    signal: o.signal,
    stdin: stream ? 'pipe' : 'ignore',
    onStderrLine: (l) => {
      if (progress.line(l)) report()
      const finished = o.onItemFinished && finishedItem(l)
      if (finished) o.onItemFinished!(finished.id)
    },
  })
  report()
  const fed = stream ? pipeInto(stream, t.child) : Promise.resolve(undefined)
  const exit = await t.exit
  const inputError = await fed
  if (o.signal?.aborted) throw cancelledError(o.signal)
  if (inputError) throw inputError instanceof BackupError ? inputError : new BackupError('restore_failed', `Reading the backup failed: ${inputError.message}`)
  if (exit.code !== 0) throw new BackupError('restore_failed', describeExit(path.basename(bin), exit))
}

/** `dbname='…'` for the URL's database, quoted as libpq's conninfo wants. */
export function dbnameConninfo(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.slice(1))
  return `dbname='${name.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}

function psqlArgs(): string[] {
  return ['--no-psqlrc', '--no-password', '--quiet', '--set', 'ON_ERROR_STOP=1', '--single-transaction', '--file=-']
}

/**
 * The target's current schema before the data, for a data-only backup (which has none of its own):
 * pre-data (types, tables) now, post-data (indexes, constraints, triggers) after the rows, as a full
 * restore would, so that NOT VALID constraints and foreign keys see the rows they saw in the target.
 */
async function targetSchemaArchive(tools: PgTools, targetUrl: string, dir: string, signal?: AbortSignal): Promise<ArchiveInput> {
  const file = path.join(path.resolve(dir), `schema-for-restore-${randomBytes(4).toString('hex')}.partial`)
  // 0600 before pg_dump writes into it (it keeps the mode of a file it truncates).
  fs.closeSync(openPrivateFile(file))
  const exit = await runTool(tools.pgDump, ['--schema-only', '--format=custom', '--no-password', `--file=${file}`], { url: targetUrl, signal })
  if (exit.code !== 0) {
    removeTree(file)
    throw new BackupError('restore_failed', describeExit('pg_dump --schema-only', exit))
  }
  return { path: file, seekable: true, open: () => Promise.reject(new Error('read by path')) }
}

/** Restores a whole backup into a database that has just been created empty. */
async function restoreIntoNew(tools: PgTools, b: BackupRecord, input: ArchiveInput, url: string, o: RestoreOptions): Promise<void> {
  if (b.format === 'plain') {
    await runRestoreTool(tools, input, psqlArgs(), { url, psql: true, onProgress: o.onProgress, signal: o.signal })
    return
  }
  const toc = await listArchive(tools, input, o.signal)
  const tablesTotal = toc.entries.filter((e) => e.desc === 'TABLE DATA').length
  const jobs = input.seekable ? (o.jobs ?? DEFAULT_RESTORE_JOBS) : 1
  const base = ['--verbose', '--no-password', '--exit-on-error', ...(jobs > 1 ? [`--jobs=${jobs}`] : [])]
  const byId = new Map(toc.entries.map((e) => [e.id, e]))
  const finished = o.onItemFinished
  const onItemFinished = finished
    ? (id: number) => {
        const e = byId.get(id)
        if (e) finished(e, toc.entries)
      }
    : undefined
  if (b.kind !== 'data') {
    await runRestoreTool(tools, input, base, { url, tablesTotal, onProgress: o.onProgress, onItemFinished, signal: o.signal })
    return
  }
  const schema = await targetSchemaArchive(tools, o.targetUrl, o.dir, o.signal)
  try {
    await runRestoreTool(tools, schema, [...base, '--section=pre-data'], { url, phase: 'schema', onProgress: o.onProgress, signal: o.signal })
    await runRestoreTool(tools, input, base, { url, tablesTotal, onProgress: o.onProgress, onItemFinished, signal: o.signal })
    await runRestoreTool(tools, schema, [...base, '--section=post-data'], { url, phase: 'indexes', onProgress: o.onProgress, signal: o.signal })
  } finally {
    removeTree(schema.path)
  }
}

/**
 * Restores a whole backup: into a new database (created here, dropped again if anything fails, the
 * target never touched), or over the target itself after an automatic safety backup, in one
 * transaction (`--clean --if-exists --single-transaction`): a failure there changes nothing. Only
 * the target's own backups are found: another target's (sharing the state database) is not_found.
 */
export async function restoreBackup(state: StateDb, backupId: string, o: RestoreOptions): Promise<RestoreResult> {
  const started = Date.now()
  const target = await describeTarget(o.targetUrl)
  const b = await requireBackup(state, target.key, backupId)
  if (b.status !== 'succeeded') throw new BackupError('invalid_input', 'Only a backup that succeeded can be restored.')
  const input = archiveInput(o.dir, b, o.keys)
  if (b.encrypted && !o.keys) throw new BackupError('decrypt_failed', 'This backup is encrypted, and no key is configured to open it.')
  const tools = await findToolsFor(target.serverVersionNum, b.toolVersion, o.pgBinDir)
  if (o.signal?.aborted) throw cancelledError(o.signal)

  if (o.into === 'target') {
    if (b.kind !== 'full' || b.format === 'plain' || b.scope) {
      throw new BackupError(
        'invalid_input',
        'Only a full backup of the whole database in custom or directory format can be restored over the target (it drops and recreates what it holds). Restore this one into a new database.',
      )
    }
    o.onProgress?.({ phase: 'safety backup' })
    const safety = await createBackup(state, {
      targetUrl: o.targetUrl,
      dir: o.dir,
      pgBinDir: o.pgBinDir,
      origin: 'safety',
      kind: 'full',
      encryption: o.safetyEncryption,
      createdBy: o.createdBy,
      signal: o.signal,
    })
    const toc = await listArchive(tools, input, o.signal)
    const tablesTotal = toc.entries.filter((e) => e.desc === 'TABLE DATA').length
    try {
      await runRestoreTool(tools, input, ['--verbose', '--no-password', '--exit-on-error', '--clean', '--if-exists', '--single-transaction'], {
        url: o.targetUrl,
        tablesTotal,
        onProgress: o.onProgress,
        signal: o.signal,
      })
    } catch (e) {
      const err = e as BackupError
      throw new BackupError(err.backupCode ?? 'restore_failed', `${err.message}\n\nNothing was changed: the restore ran in one transaction. The safety backup ${safety.id} was kept.`)
    }
    return { backupId, database: target.database, createdDatabase: false, safetyBackupId: safety.id, durationMs: Date.now() - started }
  }

  const name = o.into.newDatabase
  const url = await createRestoreDatabase(o.targetUrl, target, name)
  try {
    await restoreIntoNew(tools, b, input, url, o)
  } catch (e) {
    await dropRestoreDatabase(o.targetUrl, name).catch(() => {})
    throw e
  }
  o.onProgress?.({ phase: 'done' })
  return { backupId, database: name, createdDatabase: true, safetyBackupId: null, durationMs: Date.now() - started }
}
