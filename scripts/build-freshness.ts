import fs from 'node:fs'
import path from 'node:path'

const SOURCES = ['app', 'components', 'lib', 'db', 'migrations', 'proxy.ts', 'next.config.ts', 'package-lock.json', 'tsconfig.json']

function newestMtime(p: string): number {
  let stat: fs.Stats
  try {
    stat = fs.statSync(p)
  } catch {
    return 0
  }
  if (!stat.isDirectory()) return stat.mtimeMs
  let newest = stat.mtimeMs
  for (const entry of fs.readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, entry)))
  return newest
}

/** True when there is no production build or a source file is newer than it. */
export function buildIsStale(root: string): boolean {
  const buildId = path.join(root, '.next', 'BUILD_ID')
  if (!fs.existsSync(buildId)) return true
  const built = fs.statSync(buildId).mtimeMs
  return SOURCES.some((s) => newestMtime(path.join(root, s)) > built)
}
