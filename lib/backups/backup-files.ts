import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { BackupError } from './backup-error'
import type { ManifestEntry } from './catalogue'

/** Where database backups live: `<DATA_DIR>/backups`, 0700. */
export function backupDirectory(dataPath: string): string {
  return path.join(dataPath, 'backups')
}

/** A name safe in a file name whatever the database is called. */
export function fileSafe(s: string): string {
  return (
    s
      .normalize('NFKD')
      .replace(/[^A-Za-z0-9_.-]+/g, '_')
      .replace(/^[._]+/, '')
      .slice(0, 60) || 'db'
  )
}

export function backupFileName(database: string, kind: string, format: string, encrypted: boolean, at: Date, unique: string): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
  const ext = format === 'custom' ? '.dump' : format === 'plain' ? '.sql' : ''
  return `${fileSafe(database)}-${kind}-${stamp}-${unique}${ext}${encrypted ? '.age' : ''}`
}

/**
 * The path of a catalogued file, checked to stay inside the backup directory: the catalogue holds
 * names, but a name is never trusted to be one.
 */
export function resolveBackupPath(dir: string, file: string): string {
  const base = path.resolve(dir)
  const p = path.resolve(base, file)
  if (path.dirname(p) !== base || file.includes('/') || file.includes('\\') || file.startsWith('.')) {
    throw new BackupError('not_found', 'No such backup.')
  }
  return p
}

export function fsyncPath(p: string): void {
  const fd = fs.openSync(p, 'r')
  try {
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
}

/** fsyncs a file, or every file of a directory and the directory itself. */
export function fsyncTree(p: string): void {
  if (fs.statSync(p).isDirectory()) for (const f of fs.readdirSync(p)) fsyncTree(path.join(p, f))
  fsyncPath(p)
}

/** Sets 0600 on a file or on each file of a directory (0700). */
export function restrictTree(p: string): void {
  if (fs.statSync(p).isDirectory()) {
    fs.chmodSync(p, 0o700)
    for (const f of fs.readdirSync(p)) restrictTree(path.join(p, f))
  } else fs.chmodSync(p, 0o600)
}

/** Renames `.partial` to its final name and makes the rename durable. */
export function publish(partial: string, final: string): void {
  fs.renameSync(partial, final)
  fsyncPath(path.dirname(final))
}

/** Through one reused buffer: hashing a backup of gigabytes leaves no garbage behind for the GC to catch up with. */
export async function sha256File(p: string): Promise<string> {
  const h = createHash('sha256')
  const buf = Buffer.allocUnsafe(1 << 20)
  const fh = await fs.promises.open(p, 'r')
  try {
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null)
      if (bytesRead === 0) break
      h.update(buf.subarray(0, bytesRead))
    }
  } finally {
    await fh.close()
  }
  return h.digest('hex')
}

/** Each file of a directory-format backup with its size and hash, sorted by name. */
export async function directoryManifest(dir: string): Promise<ManifestEntry[]> {
  const out: ManifestEntry[] = []
  for (const name of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, name)
    const st = fs.statSync(p)
    if (!st.isFile()) throw new BackupError('verify_failed', `Unexpected entry in a directory backup: ${name}`)
    out.push({ name, size: st.size, sha256: await sha256File(p) })
  }
  return out
}

/** The hash a directory backup is known by: of its manifest, one "sha256  size  name" line per file. */
export function manifestHash(entries: ManifestEntry[]): string {
  const text = entries.map((e) => `${e.sha256}  ${e.size}  ${e.name}\n`).join('')
  return createHash('sha256').update(text).digest('hex')
}

export function treeSize(p: string): number {
  const st = fs.statSync(p)
  if (!st.isDirectory()) return st.size
  return fs.readdirSync(p).reduce((n, f) => n + treeSize(path.join(p, f)), 0)
}

export function removeTree(p: string): void {
  fs.rmSync(p, { recursive: true, force: true })
}

/** Bytes an unprivileged writer may still use on the file system holding `dir`. */
export function freeBytes(dir: string): number {
  const s = fs.statfsSync(dir)
  return Number(s.bavail) * Number(s.bsize)
}
