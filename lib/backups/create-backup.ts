import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

import { createDb } from '../db/connect'
import { targetIdentity } from '../db/target-identity'
import { retried } from '../jobs/retried'
import { openJobLiveness } from '../jobs/liveness'
import { ensurePrivateDir, openPrivateFile } from '../runtime/private-files'
import { startAgeFile, type AgeKeys } from './age-header'
import { BackupError, cancelledError } from './backup-error'
import {
  backupFileName,
  directoryManifest,
  freeBytes,
  fsyncTree,
  manifestHash,
  publish,
  removeTree,
  restrictTree,
  sha256File,
  treeSize,
} from './backup-files'
import { type ManifestEntry, markBackupFailed, markBackupSucceeded, saveBackupProgress, startBackupRecord } from './catalogue'
import { checkOptions, dumpArgs } from './dump-options'
import { DumpProgress } from './dump-progress'
import { recordFailedStart } from './failed-start'
import { findPgTools } from './pg-tools'
import { holdSnapshot } from './snapshot-counts'
import { tablesInScope } from './scope-tables'
import { writeStreamed } from './streamed-output'
import { describeExit, startTool } from './tool-process'
import type { BackupFormat, BackupKind, BackupOrigin, BackupScope, ProgressCallback, TableRowCount } from './types'
import type { StateDb } from '../state/state-db'

export interface CreateBackupOptions {
  targetUrl: string
  /** The backup directory (made 0700, or tightened to it). */
  dir: string
  /** PG_BIN_DIR: tried first for pg_dump of the server's major version or newer. */
  pgBinDir: string
  kind?: BackupKind
  format?: BackupFormat
  /** gzip level 0–9 for custom and directory format; plain SQL is written uncompressed. */
  compression?: number
  /** Parallel pg_dump workers, directory format only. */
  jobs?: number
  scope?: BackupScope
  /** Encrypts at rest with age (custom and plain format). */
  encryption?: AgeKeys | null
  origin?: BackupOrigin
  createdBy: string
  migrationRunId?: number
  /** The queued job running it (lib/backups/jobs.ts). */
  jobId?: number
  onProgress?: ProgressCallback
  /** Called once the backup's row is in the catalogue: a background runner answers with the id then. */
  onStarted?: (id: string) => void
  signal?: AbortSignal
}

export interface BackupResult {
  id: string
  file: string
  path: string
  kind: BackupKind
  format: BackupFormat
  sizeBytes: number
  sha256: string
  encrypted: boolean
  durationMs: number
  rowCounts: TableRowCount[] | null
  status: 'succeeded'
}

/** Schema-only dumps are small whatever the data; this is what is asked to be free for one. */
const SCHEMA_ONLY_ESTIMATE = 16 * 1024 * 1024
const PROGRESS_SAVE_MS = 2_000
const SIZE_POLL_MS = 1_000

/** Removes the `.partial` leftovers of this target's backups whose process ended (marked interrupted when this one started). */
async function removeLeftovers(state: StateDb, dir: string, targetKey: string) {
  const partials = fs.readdirSync(dir).filter((f) => f.endsWith('.partial'))
  if (!partials.length) return
  const rows = await state
    .selectFrom('backup')
    .select('file')
    .where('target_key', '=', targetKey)
    .where('status', '<>', 'running')
    .where('file', 'in', partials.map((f) => f.slice(0, -'.partial'.length)))
    .execute()
  for (const r of rows) removeTree(path.join(dir, `${r.file}.partial`))
}

/**
 * Takes a backup of the target with pg_dump and records it in the catalogue, under the target's
 * identity, from start to end. pg_dump runs with arguments as an array, its password in a temporary
 * passfile, in the snapshot in which the row counts are taken. Output goes to `<name>.partial`, is
 * fsynced and renamed only after pg_dump exits 0; any failure, a cancel or a full disk removes it and
 * records the error. This process holds the backup's liveness lock while it runs: if it ends, the
 * backup reads as interrupted at once and blocks the next one no longer.
 */
export async function createBackup(state: StateDb, o: CreateBackupOptions): Promise<BackupResult> {
  const { kind, format, compression, jobs, scope } = checkOptions(o)
  const report = o.onProgress ?? (() => {})
  if (o.signal?.aborted) throw cancelledError(o.signal)
  report({ phase: 'preparing' })

  const snap = await holdSnapshot(o.targetUrl)
  const liveness = await openJobLiveness(state, 'backup').catch(async (e) => {
    await snap.release()
    throw e
  })
  let id: string | undefined
  let partial: string | undefined
  let published: string | undefined
  // Known as soon as it is read: a scheduled backup that fails before its row exists is recorded under it.
  let identity: { key: string } | undefined
  const started = Date.now()
  try {
    const meta = createDb(o.targetUrl, { max: 1, applicationName: 'dbadmin backup' })
    const known = targetIdentity(meta).then((t) => (identity = t))
    const [target, tables, tools] = await Promise.all([known, tablesInScope(meta, scope), findPgTools(snap.serverVersionNum, o.pgBinDir)])
      .catch(async (e) => {
        await known.catch(() => {})
        throw e
      })
      .finally(() => meta.destroy())

    ensurePrivateDir(o.dir)
    const dir = path.resolve(o.dir)
    const tableBytes = tables.reduce((n, t) => n + t.bytes, 0)
    // Heap and TOAST size bounds a compressed dump; uncompressed text (bytea as hex) can take twice that.
    const estimate = kind === 'schema' ? SCHEMA_ONLY_ESTIMATE : tableBytes * (compression ? 1 : 2) + SCHEMA_ONLY_ESTIMATE
    const free = freeBytes(dir)
    if (free < estimate) {
      throw new BackupError(
        'no_space',
        `Not enough free disk space in ${dir}: the backup needs up to ${mib(estimate)} (estimated from the size of the tables), and ${mib(free)} is free.`,
      )
    }

    const encrypted = !!o.encryption
    const file = backupFileName(snap.database, kind, format, encrypted, new Date(), randomBytes(3).toString('hex'))
    const finalPath = path.join(dir, file)
    partial = `${finalPath}.partial`
    id = await startBackupRecord(
      state,
      {
        targetKey: target.key,
        targetDatabase: snap.database,
        kind,
        format,
        origin: o.origin ?? 'manual',
        scope,
        compression,
        jobs,
        file,
        encryption: o.encryption ? ('passphrase' in o.encryption ? 'passphrase' : 'recipients') : null,
        createdBy: o.createdBy,
        migrationRunId: o.migrationRunId,
        jobId: o.jobId,
        dir,
      },
      liveness,
    )
    const backupId = id
    o.onStarted?.(backupId)
    await removeLeftovers(state, dir, target.key)
    const tablesTotal = kind === 'schema' ? 0 : tables.length
    await saveBackupProgress(state, backupId, {
      tablesTotal,
      estimatedBytes: estimate,
      serverVersion: snap.serverVersion,
      toolVersion: tools.version,
    })

    const progress = new DumpProgress()
    let bytes = 0
    let lastSave = 0
    const running: { pid?: number } = {}
    const tick = (force = false) => {
      const p = { phase: 'dumping', tablesDone: Math.min(progress.done, tablesTotal), tablesTotal, currentTable: progress.current, bytesWritten: bytes, pid: running.pid }
      report(p)
      if (force || Date.now() - lastSave >= PROGRESS_SAVE_MS) {
        lastSave = Date.now()
        void saveBackupProgress(state, backupId, { tablesDone: p.tablesDone, bytesWritten: bytes }).catch(() => {})
      }
    }

    // pg_dump writes custom and directory archives itself, to a seekable file: only then does the
    // archive record data offsets, which parallel and single-table restores need. What has to pass
    // through this process (plain SQL, encryption) comes from its stdout.
    const streamed = format === 'plain' || encrypted
    // Before pg_dump starts: its stdout must be read from the first moment (scrypt takes a second),
    // or a short dump can be over and its pipe gone before anyone listens.
    const age = o.encryption ? await startAgeFile(o.encryption) : null
    // Made 0600 before pg_dump opens it (pg_dump truncates a file and keeps its mode); a directory
    // archive's files are tightened before it is published, inside the 0700 backup directory.
    if (format === 'custom' && !streamed) fs.closeSync(openPrivateFile(partial))
    const tool = startTool(tools.pgDump, dumpArgs(format, kind, compression, jobs, scope, snap.id, streamed ? null : partial), {
      url: o.targetUrl,
      signal: o.signal,
      stdout: streamed ? 'pipe' : 'ignore',
      onStderrLine: (l) => progress.line(l) && tick(),
    })
    running.pid = tool.child.pid
    const partialPath = partial
    const poll = streamed
      ? undefined
      : setInterval(() => {
          try {
            bytes = fs.existsSync(partialPath) ? treeSize(partialPath) : 0
          } catch {
            // a file of the directory vanished between listing and stat: next time
          }
          tick()
        }, SIZE_POLL_MS)
    // Progress saved even while pg_dump waits for a lock and prints nothing.
    const beat = setInterval(() => tick(true), 15_000)

    const stopDump = () => {
      try {
        process.kill(-tool.child.pid!, 'SIGTERM')
      } catch {
        // already exited
      }
    }
    // A lost liveness session makes the backup read as interrupted to everyone else: stop it rather
    // than finish a backup that the catalogue no longer shows as running.
    let lostSession = false
    const watch = setInterval(() => {
      if (liveness.lost && !lostSession) {
        lostSession = true
        stopDump()
      }
    }, 1_000)
    // Counts stop with the backup: cancelled with it, or when pg_dump fails first.
    const countsStop = new AbortController()
    const stopCounts = () => countsStop.abort()
    o.signal?.addEventListener('abort', stopCounts, { once: true })
    const countsPromise = kind === 'schema' ? Promise.resolve(null) : snap.countRows(tables, countsStop.signal)
    // A failed count must not leave pg_dump running: the backup fails as a whole.
    countsPromise.catch(stopDump)

    let written: Awaited<ReturnType<typeof writeStreamed>> | undefined
    let writeError: Error | undefined
    if (streamed) {
      written = await writeStreamed(tool.child.stdout!, partial, age, (n) => {
        bytes = n
        tick()
      }).catch((e: Error) => {
        writeError = e
        stopDump()
        return undefined
      })
    }
    const exit = await tool.exit
    clearInterval(poll)
    clearInterval(beat)
    clearInterval(watch)
    o.signal?.removeEventListener('abort', stopCounts)
    if (exit.code !== 0 || writeError || o.signal?.aborted || lostSession) stopCounts()
    const counted = await countsPromise.then(
      (c) => ({ ok: true as const, c }),
      (e: Error) => ({ ok: false as const, e }),
    )
    await snap.release()
    if (o.signal?.aborted) throw cancelledError(o.signal)
    if (lostSession) throw lostSessionError()
    if (writeError) throw asDiskError(writeError, dir)
    if (exit.code !== 0) {
      const msg = describeExit('pg_dump', exit)
      throw new BackupError(/No space left on device/i.test(msg) ? 'no_space' : 'backup_failed', msg)
    }
    // pg_dump always writes a header: nothing at all means the output was lost, not an empty database.
    if (written && written.sourceBytes === 0) throw new BackupError('backup_failed', 'pg_dump exited 0 but nothing of its output arrived.')
    if (!counted.ok) throw new BackupError('backup_failed', `Counting the rows of the backup failed: ${counted.e.message}`)
    const counts: TableRowCount[] | null = counted.c

    report({ phase: 'finishing', tablesDone: tablesTotal, tablesTotal, bytesWritten: bytes })
    let sha256: string
    let manifest: ManifestEntry[] | null = null
    if (format === 'directory') {
      manifest = await directoryManifest(partial)
      sha256 = manifestHash(manifest)
    } else sha256 = written?.sha256 ?? (await sha256File(partial))
    if (liveness.lost) throw lostSessionError()
    try {
      restrictTree(partial)
      fsyncTree(partial)
      publish(partial, finalPath)
    } catch (e) {
      throw asDiskError(e as Error, dir)
    }
    partial = undefined
    published = finalPath
    const sizeBytes = treeSize(finalPath)
    const durationMs = Date.now() - started
    const recorded = await retried(() => markBackupSucceeded(state, backupId, { sizeBytes, sha256, manifest, rowCounts: counts, tablesDone: tablesTotal, durationMs }))
    // No longer running in the catalogue: another process marked it interrupted after this one
    // lost its session. Its file goes, so that no file is left that nothing lists.
    if (!recorded) throw lostSessionError()
    published = undefined
    report({ phase: 'done', tablesDone: tablesTotal, tablesTotal, bytesWritten: sizeBytes })
    return { id: backupId, file, path: finalPath, kind, format, sizeBytes, sha256, encrypted, durationMs, rowCounts: counts, status: 'succeeded' }
  } catch (e) {
    await snap.release().catch(() => {})
    for (const p of [partial, published]) if (p) removeTree(p)
    const err = e instanceof BackupError ? e : new BackupError('backup_failed', `The backup failed: ${(e as Error)?.message ?? e}`)
    const failedId = id
    if (failedId) await retried(() => markBackupFailed(state, failedId, err.message, Date.now() - started)).catch(() => {})
    else if (identity && o.origin === 'scheduled' && err.backupCode !== 'cancelled') {
      const file = backupFileName(snap.database, kind, format, !!o.encryption, new Date(started), `failed-${randomBytes(3).toString('hex')}`)
      const failed = { targetKey: identity.key, targetDatabase: snap.database, kind, format, origin: o.origin, scope, file, createdBy: o.createdBy, jobId: o.jobId }
      id = await retried(() => recordFailedStart(state, failed, err.message, Date.now() - started)).catch(() => undefined)
    }
    throw Object.assign(err, { backupId: id })
  } finally {
    await liveness.release()
  }
}

function lostSessionError(): BackupError {
  return new BackupError(
    'backup_failed',
    'The backup lost its session on the state database, so the catalogue records it as interrupted: it was stopped and its file removed.',
  )
}

function asDiskError(e: Error, dir: string): BackupError {
  if ((e as NodeJS.ErrnoException).code === 'ENOSPC') {
    return new BackupError('no_space', `The disk holding ${dir} is full: the backup was stopped and its partial file removed.`)
  }
  return e instanceof BackupError ? e : new BackupError('backup_failed', `Writing the backup failed: ${e.message}`)
}

function mib(n: number): string {
  return `${(n / 1024 / 1024).toFixed(n < 10 * 1024 * 1024 ? 1 : 0)} MiB`
}
