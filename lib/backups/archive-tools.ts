import { BackupError } from './backup-error'
import type { ArchiveInput } from './archive-input'
import type { PgTools } from './pg-tools'
import { addNames, listHeader, parseList, type TocEntry } from './toc'
import { describeExit, pipeInto, startTool, type ToolExit } from './tool-process'

/** Runs pg_restore (or psql) on an archive, its stdout collected: from the path, or the decrypted stream on stdin. */
export async function captureFromArchive(
  bin: string,
  args: string[],
  input: ArchiveInput,
  opts: { url?: string; signal?: AbortSignal } = {},
): Promise<{ exit: ToolExit; stdout: string; inputError?: Error }> {
  const stream = input.seekable ? null : await input.open()
  const t = startTool(bin, stream ? args : [...args, input.path], { url: opts.url, signal: opts.signal, stdin: stream ? 'pipe' : 'ignore', stdout: 'pipe' })
  const chunks: Buffer[] = []
  t.child.stdout!.on('data', (c: Buffer) => chunks.push(c))
  const fed = stream ? pipeInto(stream, t.child) : Promise.resolve(undefined)
  const exit = await t.exit
  const inputError = await fed
  return { exit, stdout: Buffer.concat(chunks).toString('utf8'), inputError }
}

/** Fails with the decryption's error (a wrong key, a forged chunk) or the tool's own. */
export function checkRun(tool: string, r: { exit: ToolExit; inputError?: Error }, code: 'verify_failed' | 'restore_failed'): void {
  if (r.inputError) throw r.inputError instanceof BackupError ? r.inputError : new BackupError(code, `Reading the backup failed: ${r.inputError.message}`)
  if (r.exit.code !== 0) throw new BackupError(code, describeExit(tool, r.exit))
}

export interface ArchiveToc {
  entries: TocEntry[]
  header: Record<string, string>
}

/** `pg_restore --list`: proves the archive's header and table of contents are readable. */
export async function listArchive(tools: PgTools, input: ArchiveInput, signal?: AbortSignal): Promise<ArchiveToc> {
  const r = await captureFromArchive(tools.pgRestore, ['--list', '--verbose'], input, { signal })
  checkRun('pg_restore --list', r, 'verify_failed')
  return { entries: parseList(r.stdout), header: listHeader(r.stdout) }
}

/** The table of contents with every schema entry's name, for choosing entries to restore. */
export async function namedToc(tools: PgTools, input: ArchiveInput, signal?: AbortSignal): Promise<ArchiveToc> {
  const toc = await listArchive(tools, input, signal)
  const r = await captureFromArchive(tools.pgRestore, ['--schema-only', '--verbose', '--file=-'], input, { signal })
  checkRun('pg_restore --schema-only', r, 'restore_failed')
  addNames(toc.entries, r.stdout)
  return toc
}
