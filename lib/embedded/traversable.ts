import fs from 'node:fs'
import path from 'node:path'

/**
 * As root, the server runs as `postgres`, which must reach both its data directory and the
 * binaries inside node_modules. A checkout under a private home (/root is 0700) blocks that; we add
 * only the search (x) bit for others on the blocking ancestors and say so.
 */
export function ensureTraversableByOthers(target: string, log: (line: string) => void): void {
  if (process.getuid?.() !== 0) return
  let dir = path.resolve(target)
  const blocked: string[] = []
  while (true) {
    try {
      const st = fs.statSync(dir)
      if (st.isDirectory() && (st.mode & 0o001) === 0) blocked.push(dir)
    } catch {
      // Not created yet: its parent decides.
    }
    const parent = path.dirname(dir)
    if (parent === dir) break
    dir = parent
  }
  for (const d of blocked) {
    const mode = fs.statSync(d).mode & 0o7777
    fs.chmodSync(d, mode | 0o001)
    log(`Made ${d} searchable by others (o+x) so that the postgres user can reach the cluster`)
  }
}
