import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { Kysely } from 'kysely'
import { createDb } from '../db/connect'
import { startAgeFile, type AgeKeys } from './age-header'
import { BackupError, cancelledError } from './backup-error'
import {
  backupFileName,
  directoryManifest,
  ensureBackupDir,
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
import { BACKUP_DEFAULTS } from './defaults'
import { DumpProgress } from './dump-progress'
import { findPgTools } from './pg-tools'
import { holdSnapshot } from './snapshot-counts'
import { checkScope, scopeArgs, tablesInScope } from './scope-tables'
import { writeStreamed } from './streamed-output'
import { describeExit, startTool } from './tool-process'
import type { BackupFormat, BackupKind, BackupOrigin, BackupScope, ProgressCallback, TableRowCount } from './types'

export interface CreateBackupOptions {
  targetUrl: string
  /** The backup directory (made 0700). */
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
  onProgress?: ProgressCallback
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

function checkOptions(o: CreateBackupOptions) {
  const kind = o.kind ?? 'full'
  const format = o.format ?? BACKUP_DEFAULTS.format
  if (!['full', 'schema', 'data'].includes(kind)) throw new BackupError('invalid_input', `Unknown backup kind: ${kind}`)
  if (!['custom', 'directory', 'plain'].includes(format)) throw new BackupError('invalid_input', `Unknown backup format: ${format}`)
  const compression = format === 'plain' ? null : (o.compression ?? BACKUP_DEFAULTS.compression)
  if (compression !== null && !(Number.isInteger(compression) && compression >= 0 && compression <= 9)) {
    throw new BackupError('invalid_input', 'Compression is a gzip level from 0 to 9.')
  }
  if (o.jobs !== undefined && format !== 'directory') throw new BackupError('invalid_input', 'Parallel jobs need the directory format.')
  const jobs = format === 'directory' ? (o.jobs ?? BACKUP_DEFAULTS.jobs) : null
  if (jobs !== null && !(Number.isInteger(jobs) && jobs >= 1 && jobs <= 16)) throw new BackupError('invalid_input', 'Jobs is a number from 1 to 16.')
  if (o.encryption && format === 'directory') {
    // pg_dump writes a directory's files itself; encrypting them afterwards would leave plaintext on disk first.
    throw new BackupError('invalid_input', 'Encrypted backups use the custom or plain format: pg_dump writes a directory backup itself, unencrypted.')
  }
  return { kind, format, compression, jobs, scope: checkScope(o.scope) }
}

function dumpArgs(format: BackupFormat, kind: BackupKind, compression: number | null, jobs: number | null, scope: BackupScope | null, snapshot: string, file: string | null) {
  const args = ['--verbose', '--no-password', `--format=${format}`, `--snapshot=${snapshot}`]
  if (kind === 'schema') args.push('--schema-only')
  if (kind === 'data') args.push('--data-only')
  if (compression !== null) args.push(`--compress=${compression}`)
  if (jobs !== null) args.push(`--jobs=${jobs}`)
  args.push(...scopeArgs(scope))
  if (file) args.push(`--file=${file}`)
  return args
}

/** Removes the `.partial` leftovers of this target's backups whose process died (the catalogue marks those failed). */
async function removeLeftovers(state: Kysely<any>, dir: string, database: string) {
  const partials = fs.readdirSync(dir).filter((f) => f.endsWith('.partial'))
  if (!partials.length) return
  const rows = await state
    .selectFrom('backup')
    .select('file')
    .where('target_database', '=', database)
    .where('status', '<>', 'running')
    .where('file', 'in', partials.map((f) => f.slice(0, -'.partial'.length)))
    .execute()
  for (const r of rows) removeTree(path.join(dir, `${r.file}.partial`))
}

/**
 * Takes a backup of the target with pg_dump and records it in the catalogue from start to end.
 * pg_dump runs with arguments as an array, its password in a temporary passfile, in the snapshot in
 * which the row counts are taken. Output goes to `<name>.partial`, is fsynced and renamed only after
 * pg_dump exits 0; any failure, a cancel or a full disk removes it and records the error.
 */
export async function createBackup(state: Kysely<any>, o: CreateBackupOptions): Promise<BackupResult> {
  const { kind, format, compression, jobs, scope } = checkOptions(o)
  const report = o.onProgress ?? (() => {})
  if (o.signal?.aborted) throw cancelledError(o.signal)
  report({ phase: 'preparing' })

  const snap = await holdSnapshot(o.targetUrl)
  let id: string | undefined
  let partial: string | undefined
  const started = Date.now()
  try {
    const tools = await findPgTools(snap.serverVersionNum, o.pgBinDir)
    const meta = createDb(o.targetUrl, { max: 1, applicationName: 'dbadmin backup' })
    const tables = await tablesInScope(meta, scope).finally(() => meta.destroy())

    const dir = ensureBackupDir(o.dir)
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
    id = await startBackupRecord(state, {
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
    })
    const backupId = id
    await removeLeftovers(state, dir, snap.database)
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
    // Heartbeat even while pg_dump waits for a lock and prints nothing.
    const beat = setInterval(() => tick(true), 15_000)

    const stopDump = () => {
      try {
        process.kill(-tool.child.pid!, 'SIGTERM')
      } catch {
        // already exited
      }
    }
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
    o.signal?.removeEventListener('abort', stopCounts)
    if (exit.code !== 0 || writeError || o.signal?.aborted) stopCounts()
    const counted = await countsPromise.then(
      (c) => ({ ok: true as const, c }),
      (e: Error) => ({ ok: false as const, e }),
    )
    await snap.release()
    if (o.signal?.aborted) throw cancelledError(o.signal)
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
    try {
      restrictTree(partial)
      fsyncTree(partial)
      publish(partial, finalPath)
    } catch (e) {
      throw asDiskError(e as Error, dir)
    }
    partial = undefined
    const sizeBytes = treeSize(finalPath)
    const durationMs = Date.now() - started
    await markBackupSucceeded(state, backupId, { sizeBytes, sha256, manifest, rowCounts: counts, tablesDone: tablesTotal, durationMs })
    report({ phase: 'done', tablesDone: tablesTotal, tablesTotal, bytesWritten: sizeBytes })
    return { id: backupId, file, path: finalPath, kind, format, sizeBytes, sha256, encrypted, durationMs, rowCounts: counts, status: 'succeeded' }
  } catch (e) {
    await snap.release().catch(() => {})
    if (partial) removeTree(partial)
    const err = e instanceof BackupError ? e : new BackupError('backup_failed', `The backup failed: ${(e as Error)?.message ?? e}`)
    if (id) await markBackupFailed(state, id, err.message, Date.now() - started).catch(() => {})
    throw Object.assign(err, { backupId: id })
  }
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
