import fs from 'node:fs'
import type { Readable } from 'node:stream'
import { type AgeKeys, openAgeFile } from './age-header'
import { decryptStream } from './age-stream'
import { BackupError } from './backup-error'
import { resolveBackupPath } from './backup-files'
import type { BackupRecord } from './catalogue'

/**
 * A backup as pg_restore or psql read it: a path (custom or directory archive on disk, seekable, so
 * parallel and table-by-table restores can jump to data), or a fresh decrypted stream per read.
 */
export interface ArchiveInput {
  path: string
  seekable: boolean
  /** A new stream of the plaintext archive; for an unencrypted file, the file itself. */
  open(): Promise<Readable>
}

const HEADER_READ = 1 << 20

/** Reads the start of a file: enough for any age header (many post-quantum recipients included). */
export function readStart(p: string, max = HEADER_READ): Buffer {
  const fd = fs.openSync(p, 'r')
  try {
    const buf = Buffer.alloc(Math.min(max, fs.fstatSync(fd).size))
    const n = fs.readSync(fd, buf, 0, buf.length, 0)
    return buf.subarray(0, n)
  } finally {
    fs.closeSync(fd)
  }
}

/** A decrypted stream of an age file; errors of the file read or of any chunk surface on the stream. */
export async function decryptedFile(p: string, keys: AgeKeys, opts: { signal?: AbortSignal } = {}): Promise<Readable> {
  const { payloadStart, key } = await openAgeFile(readStart(p), keys)
  const src = fs.createReadStream(p, { start: payloadStart, highWaterMark: 1 << 20, signal: opts.signal })
  const out = decryptStream(key)
  src.on('error', (e) => out.destroy(e))
  return src.pipe(out)
}

export function archiveInput(dir: string, b: BackupRecord, keys?: AgeKeys | null): ArchiveInput {
  const p = resolveBackupPath(dir, b.file)
  if (!fs.existsSync(p)) throw new BackupError('not_found', `The file of backup ${b.id} is missing from ${dir}.`)
  if (!b.encrypted) {
    return { path: p, seekable: b.format !== 'plain', open: async () => fs.createReadStream(p, { highWaterMark: 1 << 20 }) }
  }
  return {
    path: p,
    seekable: false,
    async open() {
      if (!keys) throw new BackupError('decrypt_failed', 'This backup is encrypted, and no key is configured to open it.')
      return decryptedFile(p, keys)
    },
  }
}
