import fs from 'node:fs'

import type { AgeKeys } from './age-header'
import { archiveInput } from './archive-input'
import { listArchive } from './archive-tools'
import { BackupError } from './backup-error'
import { directoryManifest, manifestHash, resolveBackupPath, sha256File } from './backup-files'
import { type BackupRecord, recordVerification, requireBackup } from './catalogue'
import { findToolsFor } from './pg-tools'
import type { StateDb } from '../state/state-db'

export interface VerifyOptions {
  /** The target's identity key: only its backups are found. */
  targetKey: string
  dir: string
  pgBinDir: string
  /** Keys to open an encrypted backup; without them only its checksum is checked. */
  keys?: AgeKeys | null
  signal?: AbortSignal
}

export interface VerifyResult {
  id: string
  ok: boolean
  checksum: { ok: boolean; expected: string | null; actual: string | null; sizeBytes: number | null }
  /** pg_restore --list (custom, directory) or the dump's first and last lines (plain SQL). */
  contents: { ok: boolean; checked: boolean; entries: number | null; error: string | null }
  error: string | null
}

async function checksumOf(dir: string, b: BackupRecord): Promise<{ sha: string; size: number }> {
  const p = resolveBackupPath(dir, b.file)
  if (b.format === 'directory') {
    const m = await directoryManifest(p)
    return { sha: manifestHash(m), size: m.reduce((n, e) => n + e.size, 0) }
  }
  return { sha: await sha256File(p), size: fs.statSync(p).size }
}

/** A plain SQL dump ends with pg_dump's closing comment; one cut short does not. */
async function checkPlain(stream: NodeJS.ReadableStream): Promise<void> {
  let head = ''
  let tail = ''
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    if (head.length < 200) head += chunk.toString('utf8', 0, 200)
    tail = (tail + chunk.toString('latin1')).slice(-400)
  }
  if (!head.startsWith('--\n-- PostgreSQL database dump')) throw new BackupError('verify_failed', 'The file does not start as a pg_dump SQL dump.')
  if (!/-- PostgreSQL database dump complete\s*--\s*(\\unrestrict \S+\s*)?$/.test(tail)) {
    throw new BackupError('verify_failed', 'The SQL dump is cut short: its closing line is missing.')
  }
}

/**
 * Verifies a backup: its SHA-256 (and size) against the catalogue, then that its contents read
 * (`pg_restore --list` of the archive, decrypted on the fly). The result is recorded on the backup.
 */
export async function verifyBackup(state: StateDb, id: string, o: VerifyOptions): Promise<VerifyResult> {
  const b = await requireBackup(state, o.targetKey, id)
  if (b.status !== 'succeeded') throw new BackupError('invalid_input', `Backup ${id} did not succeed; there is nothing to verify.`)
  const result: VerifyResult = {
    id,
    ok: false,
    checksum: { ok: false, expected: b.sha256, actual: null, sizeBytes: null },
    contents: { ok: false, checked: false, entries: null, error: null },
    error: null,
  }
  try {
    const input = archiveInput(o.dir, b, o.keys)
    const sum = await checksumOf(o.dir, b)
    result.checksum = { ok: sum.sha === b.sha256 && (b.sizeBytes === null || sum.size === b.sizeBytes), expected: b.sha256, actual: sum.sha, sizeBytes: sum.size }
    if (!result.checksum.ok) throw new BackupError('verify_failed', `The file's checksum does not match the one recorded: the backup is damaged or was changed.`)
    if (b.encrypted && !o.keys) {
      result.contents = { ok: true, checked: false, entries: null, error: 'Encrypted, and no key configured: only the checksum was verified.' }
    } else if (b.format === 'plain') {
      await checkPlain(await input.open())
      result.contents = { ok: true, checked: true, entries: null, error: null }
    } else {
      const tools = await findToolsFor(0, b.toolVersion, o.pgBinDir)
      const toc = await listArchive(tools, input, o.signal)
      result.contents = { ok: true, checked: true, entries: toc.entries.length, error: null }
    }
    result.ok = true
  } catch (e) {
    result.error = (e as Error).message
    if (result.checksum.ok) result.contents = { ...result.contents, ok: false, checked: true, error: result.error }
    if (!(e instanceof BackupError) || (e.backupCode !== 'verify_failed' && e.backupCode !== 'decrypt_failed' && e.backupCode !== 'not_found')) {
      await recordVerification(state, id, { kind: 'checksum', ok: false, error: result.error, detail: result })
      throw e
    }
  }
  await recordVerification(state, id, { kind: 'checksum', ok: result.ok, error: result.error, detail: result })
  return result
}
