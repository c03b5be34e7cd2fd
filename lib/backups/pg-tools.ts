import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { BackupError } from './backup-error'

export interface PgTools {
  binDir: string
  pgDump: string
  pgRestore: string
  psql: string
  /** e.g. "15.18"; the three tools of one bin directory share it. */
  version: string
  major: number
}

/** Where Debian's postgresql-client-N packages put their tools, one directory per major version. */
export const DEBIAN_PG_ROOT = '/usr/lib/postgresql'

/** "pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)" → 15.18, 15; "16beta2" → 16. */
export function parseToolVersion(text: string): { version: string; major: number } | null {
  const m = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(text)
  if (!m) return null
  return { version: m[2] === undefined ? m[1] : `${m[1]}.${m[2]}`, major: Number(m[1]) }
}

/** server_version_num 150018 → 15; 90624 → 9 (any pg_dump of 10 or newer dumps a 9.6 server). */
export function serverMajor(versionNum: number): number {
  return Math.floor(versionNum / 10000)
}

function toolVersion(bin: string): Promise<{ version: string; major: number } | null> {
  return new Promise((resolve) => {
    execFile(bin, ['--version'], { timeout: 10_000, env: { PATH: process.env.PATH, LC_MESSAGES: 'C' } as unknown as NodeJS.ProcessEnv }, (err, stdout) =>
      resolve(err ? null : parseToolVersion(stdout)),
    )
  })
}

async function toolsIn(binDir: string): Promise<PgTools | null> {
  const pgDump = path.join(binDir, 'pg_dump')
  if (!fs.existsSync(pgDump)) return null
  const v = await toolVersion(pgDump)
  if (!v) return null
  return { binDir, pgDump, pgRestore: path.join(binDir, 'pg_restore'), psql: path.join(binDir, 'psql'), ...v }
}

function debianBinDirs(root: string): string[] {
  try {
    return fs
      .readdirSync(root)
      .filter((d) => /^\d+$/.test(d))
      .sort((a, b) => Number(b) - Number(a))
      .map((d) => path.join(root, d, 'bin'))
  } catch {
    return []
  }
}

/**
 * pg_dump, pg_restore and psql of the server's major version or newer: an older pg_dump refuses a
 * newer server, and an older pg_restore cannot read a newer archive. PG_BIN_DIR is tried first, then
 * Debian's per-version directories, newest first. Only an older set found: a clear error saying
 * which version to install.
 */
export async function findPgTools(serverVersionNum: number, pgBinDir: string, debianRoot = DEBIAN_PG_ROOT): Promise<PgTools> {
  const need = serverMajor(serverVersionNum)
  const seen: PgTools[] = []
  for (const dir of [pgBinDir, ...debianBinDirs(debianRoot).filter((d) => path.resolve(d) !== path.resolve(pgBinDir))]) {
    const tools = await toolsIn(dir)
    if (!tools) continue
    if (tools.major >= need) {
      for (const t of [tools.pgRestore, tools.psql]) {
        if (!fs.existsSync(t)) throw new BackupError('tool_missing', `${t} is missing beside ${tools.pgDump}: install the whole postgresql-client-${tools.major} package.`)
      }
      return tools
    }
    seen.push(tools)
  }
  if (seen.length) {
    const found = seen.map((t) => `${t.version} in ${t.binDir}`).join(', ')
    throw new BackupError(
      'tool_too_old',
      `The server runs PostgreSQL ${need}, but only older pg_dump versions were found (${found}); an older pg_dump cannot dump a newer server. Install postgresql-client-${need} (or newer) and set PG_BIN_DIR to its bin directory.`,
    )
  }
  throw new BackupError(
    'tool_missing',
    `No pg_dump was found in ${pgBinDir} (PG_BIN_DIR) nor under ${debianRoot}: install postgresql-client-${need} and set PG_BIN_DIR to its bin directory.`,
  )
}

/** The major version a record's pg_dump had ("15.18" → 15), or 0 when unknown. */
export function recordedMajor(version: string | null | undefined): number {
  const m = /^(\d+)/.exec(version ?? '')
  return m ? Number(m[1]) : 0
}

/** Tools new enough for this server and for an archive written by pg_dump `archiveVersion`. */
export function findToolsFor(serverVersionNum: number, archiveVersion: string | null | undefined, pgBinDir: string): Promise<PgTools> {
  return findPgTools(Math.max(serverVersionNum, recordedMajor(archiveVersion) * 10000), pgBinDir)
}
