import fs from 'node:fs'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { writeAudit } from '../../lib/audit/audit-log'
import { BackupError } from '../../lib/backups/backup-error'
import { type BackupRecord, listBackups } from '../../lib/backups/catalogue'
import { backupKeys } from '../../lib/backups/config-keys'
import { createBackup } from '../../lib/backups/create-backup'
import { openDownload } from '../../lib/backups/download'
import { restoreDrill } from '../../lib/backups/drill'
import { backupDirectory } from '../../lib/backups/pre-migration-backup'
import { restoreBackup } from '../../lib/backups/restore'
import { restoreTable } from '../../lib/backups/table-restore'
import type { BackupFormat, BackupKind, WorkProgress } from '../../lib/backups/types'
import { verifyBackup } from '../../lib/backups/verify'
import { targetIdentity } from '../../lib/db/target-identity'
import { openPrivateFile } from '../../lib/runtime/private-files'
import { CliError, JSON_FLAG, stringFlag } from '../args'
import type { Command } from '../command'
import type { CliContext } from '../context'

function setup(ctx: CliContext) {
  const keys = backupKeys(ctx.config)
  return { targetUrl: ctx.targetUrl, dir: backupDirectory(ctx.config.dataPath), pgBinDir: ctx.config.PG_BIN_DIR, encrypt: keys?.encrypt ?? null, decrypt: keys?.decrypt ?? null }
}

function oneOf<T extends string>(ctx: CliContext, flag: string, allowed: readonly T[], fallback: T): T {
  const v = stringFlag(ctx.args, flag)
  if (v === undefined) return fallback
  if (!(allowed as readonly string[]).includes(v)) throw new CliError(`--${flag} must be ${allowed.join(', ')}, not "${v}"`)
  return v as T
}

/** An AbortSignal that Ctrl-C or SIGTERM fires: pg_dump or pg_restore is stopped and partial output removed. */
function interruptible(): { signal: AbortSignal; done: () => void } {
  const controller = new AbortController()
  const stop = (sig: string) => controller.abort(new BackupError('cancelled', `Cancelled (${sig}).`))
  const onInt = () => stop('SIGINT')
  const onTerm = () => stop('SIGTERM')
  process.once('SIGINT', onInt)
  process.once('SIGTERM', onTerm)
  return {
    signal: controller.signal,
    done: () => {
      process.off('SIGINT', onInt)
      process.off('SIGTERM', onTerm)
    },
  }
}

/** Progress on stderr, one line per change of phase or table, for people (never with --json). */
function progressPrinter(ctx: CliContext): ((p: WorkProgress) => void) | undefined {
  if (ctx.json) return undefined
  let last = ''
  return (p) => {
    const line = [p.phase, p.tablesTotal ? `${p.tablesDone ?? 0}/${p.tablesTotal} tables` : null, p.currentTable].filter(Boolean).join(' ')
    if (line !== last) process.stderr.write(`${line}\n`)
    last = line
  }
}

/** Runs `work` with an audit record of its outcome (actor 'cli'); a failure is exit 1 with the library's message. */
async function audited<T>(ctx: CliContext, action: string, target: string, input: unknown, work: () => Promise<T>, message: (r: T) => string): Promise<T> {
  const started = Date.now()
  try {
    const r = await work()
    await writeAudit(ctx.state(), { actorEmail: 'cli', action, target, input, result: 'ok', code: 'ok', message: message(r), durationMs: Date.now() - started })
    return r
  } catch (e) {
    const code = e instanceof BackupError ? e.backupCode : 'internal'
    const text = (e as Error)?.message ?? String(e)
    await writeAudit(ctx.state(), { actorEmail: 'cli', action, target, input, result: 'failed', code, message: text, durationMs: Date.now() - started }).catch(() => {})
    throw e instanceof BackupError ? new CliError(text, 1) : e
  }
}

const backupId = (ctx: CliContext) => ctx.args.positional[2]

/** `dbadmin backup create [--kind K] [--format F] [--json]`: a backup, catalogued like the page's. */
async function create(ctx: CliContext): Promise<void> {
  const kind = oneOf<BackupKind>(ctx, 'kind', ['full', 'schema', 'data'], 'full')
  const format = oneOf<BackupFormat>(ctx, 'format', ['custom', 'directory', 'plain'], 'custom')
  const s = setup(ctx)
  const stop = interruptible()
  try {
    const r = await audited(
      ctx,
      'backups.create',
      'backup',
      { kind, format },
      () => createBackup(ctx.state(), { ...s, kind, format, encryption: s.encrypt, createdBy: 'cli', onProgress: progressPrinter(ctx), signal: stop.signal }),
      (r) => `Backup ${r.file} succeeded (${r.sizeBytes} bytes).`,
    )
    if (ctx.json) return ctx.print({ id: r.id, file: r.path, sizeBytes: r.sizeBytes, sha256: r.sha256, status: r.status })
    ctx.out(`${r.id}  ${r.path}  ${r.sizeBytes} bytes  sha256 ${r.sha256}`)
  } finally {
    stop.done()
  }
}

function listLine(b: BackupRecord): string {
  const verified = b.verifyOk === null ? 'unverified' : `${b.verifyKind} ${b.verifyOk ? 'ok' : 'FAILED'}`
  return `${b.id}  ${b.startedAt.toISOString()}  ${b.status.padEnd(11)} ${b.kind.padEnd(6)} ${b.format.padEnd(9)} ${String(b.sizeBytes ?? '-').padStart(12)}  ${verified}  ${b.createdBy}  ${b.file}${b.error ? `  (${b.error})` : ''}`
}

async function list(ctx: CliContext): Promise<void> {
  const backups = await listBackups(ctx.state(), (await targetIdentity(ctx.target())).key)
  if (ctx.json) return ctx.print({ backups })
  if (!backups.length) return ctx.out('No backups of this database.')
  for (const b of backups) ctx.out(listLine(b))
}

/** `dbadmin backup verify ID [--drill]`: exit 1 when the backup fails. */
async function verify(ctx: CliContext): Promise<void> {
  const id = backupId(ctx)
  const s = setup(ctx)
  const targetKey = (await targetIdentity(ctx.target())).key
  const stop = interruptible()
  try {
    if (ctx.args.flags.drill === true) {
      const r = await audited(ctx, 'backups.drill', `backup ${id}`, { id, drill: true }, () => restoreDrill(ctx.state(), id, { ...s, keys: s.decrypt, onProgress: progressPrinter(ctx), signal: stop.signal }), (r) =>
        r.ok ? 'Drill passed.' : `Drill found problems: ${r.problems.join(' ')}`,
      )
      if (ctx.json) ctx.print(r)
      else ctx.out(r.ok ? `Drill passed: ${r.tables.length} tables match the row counts of backup time (restore ${r.restoreMs} ms, checks ${r.checkMs} ms).` : r.problems.join('\n'))
      if (!r.ok) throw new CliError(`backup ${id} failed its drill`, 1)
      return
    }
    const r = await audited(ctx, 'backups.verify', `backup ${id}`, { id }, () => verifyBackup(ctx.state(), id, { ...s, targetKey, keys: s.decrypt, signal: stop.signal }), (r) =>
      r.ok ? 'Verified.' : `Verification failed: ${r.error}`,
    )
    if (ctx.json) ctx.print(r)
    else ctx.out(r.ok ? `Verified: checksum ${r.checksum.actual}${r.contents.entries !== null ? `, ${r.contents.entries} archive entries` : ''}.` : `Verification failed: ${r.error}`)
    if (!r.ok) throw new CliError(`backup ${id} failed verification`, 1)
  } finally {
    stop.done()
  }
}

/** `dbadmin backup restore ID --into NEWDB [--table T]`: only ever into a new database from the CLI. */
async function restore(ctx: CliContext): Promise<void> {
  const id = backupId(ctx)
  const into = stringFlag(ctx.args, 'into', true)
  const tableText = stringFlag(ctx.args, 'table')
  const s = setup(ctx)
  const common = { ...s, keys: s.decrypt, createdBy: 'cli', onProgress: progressPrinter(ctx) }
  const stop = interruptible()
  try {
    if (tableText !== undefined) {
      const dot = tableText.indexOf('.')
      const table = dot > 0 ? { schema: tableText.slice(0, dot), table: tableText.slice(dot + 1) } : { schema: 'public', table: tableText }
      const r = await audited(ctx, 'backups.restore', `backup ${id}`, { id, into, table: tableText }, () => restoreTable(ctx.state(), id, { ...common, table, into: { newDatabase: into }, signal: stop.signal }), (r) =>
        `Restored ${r.table.schema}.${r.table.table} (${r.rows} rows) into ${r.database}.`,
      )
      if (ctx.json) return ctx.print(r)
      ctx.out(`Restored ${r.table.schema}.${r.table.table} (${r.rows} rows) into ${r.database}; included ${r.included.map((e) => `${e.type} ${e.name}`).join(', ')}.`)
      return
    }
    const r = await audited(ctx, 'backups.restore', `backup ${id}`, { id, into }, () => restoreBackup(ctx.state(), id, { ...common, into: { newDatabase: into }, signal: stop.signal }), (r) =>
      `Restored into the new database ${r.database}.`,
    )
    if (ctx.json) return ctx.print(r)
    ctx.out(`Restored into the new database ${r.database} in ${r.durationMs} ms.`)
  } finally {
    stop.done()
  }
}

/** `dbadmin backup download ID --out FILE [--decrypt]`: the file as the page's download serves it, to a new 0600 file. */
async function download(ctx: CliContext): Promise<void> {
  const id = backupId(ctx)
  const out = path.resolve(stringFlag(ctx.args, 'out', true))
  if (fs.existsSync(out)) throw new CliError(`${out} exists: choose a new file`, 2)
  const s = setup(ctx)
  const targetKey = (await targetIdentity(ctx.target())).key
  const decrypt = ctx.args.flags.decrypt === true
  const r = await audited(
    ctx,
    'backups.download',
    `backup ${id}`,
    { id, decrypt, out },
    async () => {
      const d = await openDownload(ctx.state(), s.dir, { id, targetKey, decrypt, keys: s.decrypt })
      try {
        await pipeline(Readable.fromWeb(d.body! as import('node:stream/web').ReadableStream<Uint8Array>), fs.createWriteStream(out, { fd: openPrivateFile(out) }))
      } catch (e) {
        fs.rmSync(out, { force: true })
        throw e
      }
      return { file: d.backup.file, sizeBytes: Number(d.headers['Content-Length']), decrypted: d.decrypted }
    },
    (r) => `Downloaded ${r.file} (${r.decrypted ? 'decrypted' : 'as stored'}) to ${out}`,
  )
  if (ctx.json) return ctx.print({ id, out, sizeBytes: r.sizeBytes, decrypted: r.decrypted })
  ctx.out(`Wrote ${r.sizeBytes} bytes to ${out}`)
}

const ID = [{ name: 'ID', required: true }]

export const backupCommand: Command = {
  help: 'backup create|list|verify ID|restore ID --into NEWDB|download ID --out FILE [--json]  take, list, verify, restore and download backups',
  subcommands: {
    create: {
      flags: { kind: { type: 'string', value: 'full|schema|data' }, format: { type: 'string', value: 'custom|directory|plain' }, ...JSON_FLAG },
      summary: 'take a backup (default full, custom format), catalogued like the page’s; prints { id, file, sizeBytes, sha256, status } with --json',
    },
    list: { flags: JSON_FLAG, summary: 'this database’s backups, newest first' },
    verify: { args: ID, flags: { drill: { type: 'boolean' }, ...JSON_FLAG }, summary: 'checksum and pg_restore --list; with --drill restore into a scratch database and compare row counts (exit 1 on failure)' },
    restore: {
      args: ID,
      flags: { into: { type: 'string', value: 'NEWDB' }, table: { type: 'string', value: 'SCHEMA.TABLE' }, ...JSON_FLAG },
      summary: 'restore into a new database (the target is never touched from here); --table restores one table with what it needs',
    },
    download: { args: ID, flags: { out: { type: 'string', value: 'FILE' }, decrypt: { type: 'boolean' }, ...JSON_FLAG }, summary: 'write the backup (decrypted with --decrypt) to a new 0600 FILE' },
  },
  run: (ctx) => {
    const sub = ctx.args.positional[1]
    if (sub === 'create') return create(ctx)
    if (sub === 'list') return list(ctx)
    if (sub === 'verify') return verify(ctx)
    if (sub === 'restore') return restore(ctx)
    return download(ctx)
  },
}
