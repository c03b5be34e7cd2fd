import fs from 'node:fs'

import type { AgeKeys } from './age-header'
import { openAgeFile } from './age-header'
import { chunkCount, openChunk, plaintextSize, SEALED_CHUNK, CHUNK } from './age-stream'
import { readStart } from './archive-input'
import { BackupError } from './backup-error'
import { resolveBackupPath } from './backup-files'
import { type BackupRecord, requireBackup } from './catalogue'
import { type ByteRange, parseRange } from './http-range'
import type { StateDb } from '../state/state-db'

export interface DownloadRequest {
  /** The catalogue id from the request; never a path. */
  id: string
  /** The managed target's identity key: another target's backup is not found. */
  targetKey: string
  /** For an encrypted backup: serve it decrypted (needs keys) instead of as stored. */
  decrypt?: boolean
  /** The request's Range header, for resuming. */
  range?: string | null
  keys?: AgeKeys | null
}

export interface Download {
  status: 200 | 206 | 416
  headers: Record<string, string>
  /** A stream of the file (or the range of it); null for 416. Nothing is buffered: it is read as it is sent. */
  body: ReadableStream<Uint8Array> | null
  backup: BackupRecord
  /** True when an encrypted backup is served decrypted. */
  decrypted: boolean
}

const READ_CHUNK = 1 << 20

/**
 * The bytes `start`..`end` of a file as a byte stream, read at their offset only when a reader asks.
 * A BYOB reader (the CLI's download, `writeStreamTo`) gets them read straight into its own buffer:
 * nothing is allocated per chunk, so memory stays flat and the copy costs what reading the file
 * costs. A default reader (a Response, which is how Next sends it) gets a fresh 1 MiB chunk per read:
 * it keeps each chunk until the socket has taken it, so none can be reused here.
 */
function fileRange(p: string, r: ByteRange): ReadableStream<Uint8Array> {
  let fh: fs.promises.FileHandle | undefined
  let pos = r.start
  const close = async () => {
    const h = fh
    fh = undefined
    await h?.close()
  }
  return new ReadableStream({
    type: 'bytes',
    autoAllocateChunkSize: READ_CHUNK,
    async start(controller) {
      if (r.end < r.start) return controller.close()
      fh = await fs.promises.open(p, 'r')
    },
    async pull(controller) {
      const req = controller.byobRequest!
      const view = req.view as Uint8Array
      try {
        const { bytesRead } = await fh!.read(view, 0, Math.min(view.byteLength, r.end - pos + 1), pos)
        if (bytesRead === 0) throw new Error('the backup file is shorter than when the download began')
        pos += bytesRead
        const last = pos > r.end
        if (last) await close()
        req.respond(bytesRead)
        // Closed in the same turn as the last bytes: a BYOB read already waiting would otherwise never end.
        if (last) controller.close()
      } catch (e) {
        await close()
        throw e
      }
    },
    cancel: close,
  })
}

/**
 * A web stream of chunks made one at a time as the consumer asks for them (one ahead at most), so
 * memory stays flat however slow the client.
 */
function pulled(chunks: AsyncGenerator<Uint8Array>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { done, value } = await chunks.next()
        if (done) controller.close()
        else controller.enqueue(value)
      },
      async cancel() {
        await chunks.return(undefined)
      },
    },
    { highWaterMark: 1 },
  )
}

/**
 * Writes a download's body to an open file: through one reused buffer when the body is a byte
 * stream (a plain download), chunk by chunk otherwise (a decrypted one, whose chunks are new anyway).
 */
export async function writeStreamTo(body: ReadableStream<Uint8Array>, fd: number): Promise<number> {
  const writeSome = (b: Uint8Array, off: number) =>
    new Promise<number>((resolve, reject) => fs.write(fd, b, off, b.byteLength - off, null, (e, n) => (e ? reject(e) : resolve(n))))
  const write = async (b: Uint8Array) => {
    for (let off = 0; off < b.byteLength; ) off += await writeSome(b, off)
  }
  let n = 0
  let byob: ReadableStreamBYOBReader | undefined
  try {
    byob = body.getReader({ mode: 'byob' })
  } catch {
    // Not a byte stream.
  }
  if (!byob) {
    for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
      await write(chunk)
      n += chunk.byteLength
    }
    return n
  }
  let buf = new Uint8Array(READ_CHUNK)
  for (;;) {
    const { done, value } = await byob.read(buf)
    if (done) return n
    await write(value)
    n += value.byteLength
    buf = new Uint8Array(value.buffer)
  }
}

/** Decrypts only the age chunks a range touches, reading each at its offset: a resumed download costs what it sends. */
async function* decryptedRange(p: string, payloadStart: number, payloadBytes: number, key: Buffer, r: ByteRange): AsyncGenerator<Buffer> {
  const total = chunkCount(payloadBytes)
  const fh = await fs.promises.open(p, 'r')
  try {
    for (let i = Math.floor(r.start / CHUNK); i <= Math.floor(r.end / CHUNK) && i < total; i++) {
      const offset = i * SEALED_CHUNK
      const len = Math.min(SEALED_CHUNK, payloadBytes - offset)
      const buf = Buffer.allocUnsafe(len)
      const { bytesRead } = await fh.read(buf, 0, len, payloadStart + offset)
      const plain = openChunk(key, i, i === total - 1, buf.subarray(0, bytesRead))
      const from = i === Math.floor(r.start / CHUNK) ? r.start - i * CHUNK : 0
      const to = Math.min(plain.length, r.end - i * CHUNK + 1)
      yield plain.subarray(from, to)
    }
  } finally {
    await fh.close()
  }
}

/**
 * Resolves a download: the opaque id to a catalogued file inside the backup directory, its size,
 * the headers (attachment, no-store, ranges) and a stream of the bytes asked for, read from disk
 * (and decrypted, for the age chunks a range covers) as the response takes them. Unknown ids, ids shaped like paths,
 * other targets' backups, deleted and unfinished ones are all "not found".
 */
export async function openDownload(state: StateDb, dir: string, req: DownloadRequest): Promise<Download> {
  const b = await requireBackup(state, req.targetKey, req.id)
  if (b.status !== 'succeeded') throw new BackupError('not_found', 'No such backup.')
  if (b.format === 'directory') {
    throw new BackupError('invalid_input', 'A directory-format backup is a folder of files: it is restored and verified here, not downloaded as one file.')
  }
  const p = resolveBackupPath(dir, b.file)
  let stored: number
  try {
    stored = fs.statSync(p).size
  } catch {
    throw new BackupError('not_found', `The file of backup ${b.id} is missing.`)
  }
  const decrypt = !!req.decrypt && b.encrypted
  let size = stored
  let age: { payloadStart: number; key: Buffer } | undefined
  if (decrypt) {
    if (!req.keys) throw new BackupError('decrypt_failed', 'No key is configured to decrypt this backup.')
    age = await openAgeFile(readStart(p), req.keys)
    size = plaintextSize(stored - age.payloadStart)
  }
  const name = decrypt ? b.file.replace(/\.age$/, '') : b.file
  const headers: Record<string, string> = {
    'Content-Type': b.format === 'plain' && !b.encrypted ? 'application/sql' : 'application/octet-stream',
    'Content-Disposition': `attachment; filename="${name}"`,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Accept-Ranges': 'bytes',
  }
  // The stored file's checksum names its bytes; a decrypted download has no recorded hash of its own.
  if (!decrypt && b.sha256) headers.ETag = `"${b.sha256}"`
  const range = parseRange(req.range, size)
  if (range === 'unsatisfiable') {
    return { status: 416, headers: { ...headers, 'Content-Range': `bytes */${size}` }, body: null, backup: b, decrypted: decrypt }
  }
  const r = range ?? { start: 0, end: size - 1 }
  const length = size === 0 ? 0 : r.end - r.start + 1
  const body = age && size > 0 ? pulled(decryptedRange(p, age.payloadStart, stored - age.payloadStart, age.key, r)) : fileRange(p, size === 0 ? { start: 0, end: -1 } : r)
  headers['Content-Length'] = String(length)
  if (range) headers['Content-Range'] = `bytes ${r.start}-${r.end}/${size}`
  return { status: range ? 206 : 200, headers, body, backup: b, decrypted: decrypt }
}
