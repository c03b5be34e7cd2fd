import fs from 'node:fs'
import path from 'node:path'

/**
 * Files that hold database contents (dumps, saved rows, their manifests) are readable by the
 * dashboard's own OS user only: 0600, in a 0700 directory. The directory is tightened even when it
 * already existed with wider rights, as an older version left it.
 */
export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
  fs.chmodSync(dir, 0o700)
}

/** Opens a data file for writing as 0600 in a private directory; `wx` refuses to overwrite. */
export function openPrivateFile(file: string, flags: 'w' | 'wx' = 'wx'): number {
  ensurePrivateDir(path.dirname(file))
  const fd = fs.openSync(file, flags, 0o600)
  // The umask only narrows the mode, and an existing file keeps its own: set it outright.
  fs.fchmodSync(fd, 0o600)
  return fd
}
