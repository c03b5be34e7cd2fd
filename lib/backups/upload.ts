import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'

import type { TargetIdentity } from '../db/target-identity'
import { listArchive } from './archive-tools'
import { BackupError } from './backup-error'
import { ensurePrivateDir, openPrivateFile } from '../runtime/private-files'
import { backupFileName, fsyncPath, publish, removeTree } from './backup-files'
import { insertUploadedBackup } from './catalogue'
import { findPgTools } from './pg-tools'
import { archiveKind } from './toc'
import type { StateDb } from '../state/state-db'

export interface UploadOptions {
  dir: string
  pgBinDir: string
  /** The target the upload is catalogued under (lib/db/target-identity.ts). */
  target: Pick<TargetIdentity, 'key' | 'database'>
  /** Refused past this many bytes, while streaming (nothing larger is ever written). */
  maxBytes: number
  createdBy: string
  signal?: AbortSignal
}

export interface UploadResult {
  id: string
  file: string
  sizeBytes: number
  sha256: string
  kind: 'full' | 'schema' | 'data'
  entries: number
}

/** The version pg_restore needs at least: the newest installed will read any archive up to its own version. */
const ANY_SERVER = 0

/**
 * Accepts an uploaded custom-format dump: streamed to a `.partial` 0600 file with a size limit and
 * hashed on the way, kept only if `pg_restore --list` reads it, then catalogued as an upload (kind
 * read from its table of contents; no row counts, since nothing of it was counted here).
 */
export async function acceptUpload(state: StateDb, source: Readable | ReadableStream<Uint8Array>, o: UploadOptions): Promise<UploadResult> {
  ensurePrivateDir(o.dir)
  const dir = path.resolve(o.dir)
  const file = backupFileName(o.target.database, 'upload', 'custom', false, new Date(), randomBytes(3).toString('hex'))
  const final = path.join(dir, file)
  const partial = `${final}.partial`
  const hash = createHash('sha256')
  let bytes = 0
  const limit = new Transform({
    transform(chunk: Buffer, _e, done) {
      bytes += chunk.length
      if (bytes > o.maxBytes) return done(new BackupError('too_large', `The upload is larger than the limit of ${o.maxBytes} bytes.`))
      hash.update(chunk)
      done(null, chunk)
    },
  })
  const input = source instanceof Readable ? source : Readable.fromWeb(source as import('node:stream/web').ReadableStream<Uint8Array>)
  try {
    await pipeline(input, limit, fs.createWriteStream(partial, { fd: openPrivateFile(partial) }), { signal: o.signal })
    if (bytes === 0) throw new BackupError('invalid_input', 'The upload is empty.')
    const tools = await findPgTools(ANY_SERVER, o.pgBinDir)
    const toc = await listArchive(tools, { path: partial, seekable: true, open: () => Promise.reject(new Error('read by path')) }, o.signal).catch((e: Error) => {
      throw new BackupError('invalid_input', `Not a custom-format dump that pg_restore can read: ${e.message.replace(/^pg_restore --list /, '')}`)
    })
    if (toc.header.Format !== 'CUSTOM') throw new BackupError('invalid_input', `Only custom-format dumps (pg_dump -Fc) are accepted; this one is ${toc.header.Format ?? 'of another format'}.`)
    fsyncPath(partial)
    publish(partial, final)
    const sha256 = hash.digest('hex')
    const kind = archiveKind(toc.entries)
    const id = await insertUploadedBackup(state, {
      targetKey: o.target.key,
      targetDatabase: o.target.database,
      kind,
      format: 'custom',
      file,
      createdBy: o.createdBy,
      sizeBytes: bytes,
      sha256,
      toolVersion: (toc.header['Dumped by pg_dump version'] ?? '').split(' ')[0] || tools.version,
    })
    return { id, file, sizeBytes: bytes, sha256, kind, entries: toc.entries.length }
  } catch (e) {
    removeTree(partial)
    if (fs.existsSync(final) && !(e instanceof BackupError && e.backupCode === 'conflict')) removeTree(final)
    if (e instanceof BackupError) throw e
    if ((e as NodeJS.ErrnoException).code === 'ENOSPC') throw new BackupError('no_space', 'The disk is full: the upload was removed.')
    if ((e as Error).name === 'AbortError') throw new BackupError('cancelled', 'The upload was cancelled.')
    throw new BackupError('invalid_input', `The upload failed: ${(e as Error).message}`)
  }
}
