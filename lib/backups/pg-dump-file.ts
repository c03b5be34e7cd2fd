import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { pgToolEnv } from '../db/pg-tool-env'
import { openPrivateFile } from '../runtime/private-files'

export interface DumpResult {
  path: string
  bytes: number
  durationMs: number
}

/**
 * A full pg_dump of the database in custom format (restorable with pg_restore, table by table).
 * Fails loudly: a failed backup must never look like a good one, so a partial file is removed.
 */
export async function dumpDatabase(url: string, pgBinDir: string, file: string): Promise<DumpResult> {
  const started = Date.now()
  // Created 0600 before pg_dump opens it: pg_dump truncates an existing file and keeps its mode.
  fs.closeSync(openPrivateFile(file, 'w'))
  try {
    await new Promise<void>((resolve, reject) => {
      execFile(
        path.join(pgBinDir, 'pg_dump'),
        ['--format=custom', '--no-password', '--file', file],
        { env: pgToolEnv(url), timeout: 6 * 3600_000, maxBuffer: 8 * 1024 * 1024 },
        (error, _stdout, stderr) => (error ? reject(new Error(`pg_dump failed: ${stderr.trim() || error.message}`)) : resolve()),
      )
    })
  } catch (e) {
    fs.rmSync(file, { force: true })
    throw e
  }
  fs.chmodSync(file, 0o600)
  return { path: file, bytes: fs.statSync(file).size, durationMs: Date.now() - started }
}
