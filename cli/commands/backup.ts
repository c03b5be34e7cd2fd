import fs from 'node:fs'
import path from 'node:path'
import { writeAudit } from '../../lib/audit/audit-log'
import { BackupError } from '../../lib/backups/backup-error'
import { type BackupRecord, getBackup, isBackupId, listBackups } from '../../lib/backups/catalogue'
import { backupKeys } from '../../lib/backups/config-keys'
import { openDownload, writeStreamTo } from '../../lib/backups/download'
import { checkDatabaseName } from '../../lib/backups/restore-database'
import { parseTableName } from '../../lib/backups/table-name'
import { backupDirectory } from '../../lib/backups/backup-files'
import type { BackupFormat, BackupKind } from '../../lib/backups/types'
import { targetIdentity } from '../../lib/db/target-identity'
import { JOB_KINDS } from '../../lib/jobs/all-kinds'
import { JobBusyError } from '../../lib/jobs/enqueue'
import { configuredSchedules } from '../../lib/jobs/schedule-config'
import { listSchedules, saveSchedule, ScheduleError } from '../../lib/jobs/schedules'
import type { JobRow } from '../../lib/jobs/job-store'
import { openPrivateFile } from '../../lib/runtime/private-files'
import { CliError, JSON_FLAG, type ParsedArgs, stringFlag } from '../args'
import type { Command } from '../command'
import type { CliContext } from '../context'
import { followOwnJob, stoppedBySignal } from './follow-job'

function setup(ctx: CliContext) {
  const keys = backupKeys(ctx.config)
  return { targetUrl: ctx.targetUrl, dir: backupDirectory(ctx.config.dataPath), pgBinDir: ctx.config.PG_BIN_DIR, encrypt: keys?.encrypt ?? null, decrypt: keys?.decrypt ?? null }
}

function oneOf<T extends string>(args: ParsedArgs, flag: string, allowed: readonly T[], fallback: T): T {
  const v = stringFlag(args, flag)
  if (v === undefined) return fallback
  if (!(allowed as readonly string[]).includes(v)) throw new CliError(`--${flag} must be ${allowed.join(', ')}, not "${v}"`)
  return v as T
}

/**
 * Queues `kind` and works it in this process while it waits (a web server's worker may take it
 * first: either way the job's row tells), with progress on stderr unless --json. Ctrl-C or SIGTERM
 * cancels the job (pg_dump, pg_restore or psql is stopped and partial output removed) and exits 130 / 143. The start is
 * audited here; the job audits its end.
 */
async function runJob(ctx: CliContext, kind: string, input: unknown, audit: { action: string; target: string }, progress: boolean): Promise<JobRow> {
  const jobs = await ctx.jobs({ work: true, workKinds: [kind], supervise: false })
  let job: JobRow
  try {
    job = await jobs.enqueue(kind, input, { startedBy: 'cli', trigger: 'cli' })
  } catch (e) {
    const message = (e as Error)?.message ?? String(e)
    await writeAudit(ctx.state(), { actorEmail: 'cli', action: audit.action, target: audit.target, input, result: 'failed', code: e instanceof JobBusyError ? 'conflict' : 'internal', message })
    if (e instanceof JobBusyError) throw new CliError(message, 1)
    throw e
  }
  await writeAudit(ctx.state(), { actorEmail: 'cli', action: audit.action, target: audit.target, input, result: 'ok', code: 'ok', message: `Queued as job #${job.id}.` })
  const followed = await followOwnJob(ctx, job, { progress: progress && !ctx.json })
  stoppedBySignal(followed, `${jobs.kind(kind).title.toLowerCase()} job #${job.id}`)
  return followed.job
}

/** A job that did not succeed: exit 1 with its message (the library's, meant for people). */
function failed(job: JobRow): CliError {
  return new CliError(job.error ?? job.message ?? `job #${job.id} ${job.state}`, 1)
}

const backupId = (ctx: CliContext) => ctx.args.positional[2]

/** A backup of this target named by its catalogue id, or exit 1 (an id like a path names nothing). */
async function existing(ctx: CliContext, id: string) {
  const b = isBackupId(id) ? await getBackup(ctx.state(), (await targetIdentity(ctx.target())).key, id) : null
  if (!b || b.deletedAt) throw new CliError('No such backup.', 1)
  return b
}

/** create's --kind and --format, checked by the parser before anything runs. */
function createFlags(args: ParsedArgs): { kind: BackupKind; format: BackupFormat } {
  return { kind: oneOf<BackupKind>(args, 'kind', ['full', 'schema', 'data'], 'full'), format: oneOf<BackupFormat>(args, 'format', ['custom', 'directory', 'plain'], 'custom') }
}

/** `dbadmin backup create [--kind K] [--format F] [--json]`: a backup job (backup.full|schema|data), catalogued like the page's. */
async function create(ctx: CliContext): Promise<void> {
  const { kind, format } = createFlags(ctx.args)
  const dir = backupDirectory(ctx.config.dataPath)
  const job = await runJob(ctx, `backup.${kind}`, { format }, { action: 'backups.create', target: 'backup' }, true)
  if (job.state !== 'succeeded') throw failed(job)
  const r = job.result as { backupId: string; file: string; sizeBytes: number; sha256: string }
  const file = path.join(dir, r.file)
  if (ctx.json) return ctx.print({ id: r.backupId, file, sizeBytes: r.sizeBytes, sha256: r.sha256, status: 'succeeded' })
  ctx.out(`${r.backupId}  ${file}  ${r.sizeBytes} bytes  sha256 ${r.sha256}`)
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

/** `dbadmin backup verify ID [--drill]`: a verification or drill job; exit 1 when the backup fails it. */
async function verify(ctx: CliContext): Promise<void> {
  const b = await existing(ctx, backupId(ctx))
  const drill = ctx.args.flags.drill === true
  const job = await runJob(ctx, drill ? 'backup.drill' : 'backup.verify', { backupId: b.id, file: b.file }, { action: drill ? 'backups.drill' : 'backups.verify', target: `backup ${b.id}` }, drill)
  const r = job.result as Record<string, unknown> | null
  if (!r || (job.state !== 'succeeded' && r.ok === undefined)) throw failed(job)
  if (ctx.json) ctx.print(r)
  else ctx.out(job.message ?? '')
  if (job.state !== 'succeeded') throw new CliError(`backup ${b.id} failed ${drill ? 'its drill' : 'verification'}`, 1)
}

/** `dbadmin backup restore ID --into NEWDB [--table T]`: a restore job, only ever into a new database from the CLI. */
async function restore(ctx: CliContext): Promise<void> {
  const { into, table } = restoreFlags(ctx.args)
  const b = await existing(ctx, backupId(ctx))
  const input = table ? { backupId: b.id, file: b.file, mode: 'table', database: into, table } : { backupId: b.id, file: b.file, mode: 'new', database: into }
  const job = await runJob(ctx, 'backup.restore', input, { action: 'backups.restore', target: `backup ${b.id}` }, true)
  if (job.state !== 'succeeded') throw failed(job)
  if (ctx.json) return ctx.print(job.result)
  ctx.out(job.message ?? '')
}

/** restore's --into and --table, checked by the parser before anything runs. */
function restoreFlags(args: ParsedArgs) {
  const into = stringFlag(args, 'into', true)
  const tableText = stringFlag(args, 'table')
  try {
    checkDatabaseName(into)
  } catch (e) {
    throw new CliError(`--into: ${(e as Error).message}`)
  }
  // As the page reads it: a quoted part may hold dots and quotes.
  const table = tableText === undefined ? undefined : parseTableName(tableText)
  if (table === null) throw new CliError(`--table must be SCHEMA.TABLE or TABLE, a part with dots or quotes in double quotes ("my.schema"."Order; x"), not ${JSON.stringify(tableText)}`)
  if (table && [table.schema, table.table].some((p) => Buffer.byteLength(p) > 63)) throw new CliError('--table: a schema or table name has at most 63 bytes')
  return { into, table }
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
        const fd = openPrivateFile(out)
        try {
          await writeStreamTo(d.body!, fd)
        } finally {
          fs.closeSync(fd)
        }
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

const SCHEDULED = ['full', 'schema', 'data', 'drill'] as const

/**
 * `dbadmin backup schedule list` and `dbadmin backup schedule set full|schema|data|drill --cron "0 2 * * *"
 * [--timezone TZ] [--off]`: the backup kinds' schedules, as the Jobs page shows and edits them (audited as the CLI).
 */
async function schedule(ctx: CliContext): Promise<void> {
  const action = ctx.args.positional[2]
  const kinds = JOB_KINDS.filter((k) => k.schedule && k.kind.startsWith('backup.'))
  if (action === 'list') {
    if (ctx.args.positional[3] !== undefined) throw new CliError('"dbadmin backup schedule list" takes no KIND')
    const rows = await listSchedules(ctx.state(), kinds, (await targetIdentity(ctx.target())).key, configuredSchedules(ctx.config))
    if (ctx.json) return ctx.print({ schedules: rows.map((r) => ({ kind: r.kind, cron: r.cron, timezone: r.timezone, enabled: r.enabled, setBy: r.setBy, lastRun: r.lastRun ? { id: r.lastRun.id, state: r.lastRun.state, at: r.lastRun.createdAt } : null })) })
    for (const r of rows) ctx.out(`${r.kind.padEnd(14)} ${r.enabled ? 'on ' : 'off'}  ${r.cron.padEnd(14)} ${r.timezone}  set by ${r.setBy}${r.lastRun ? `  last #${r.lastRun.id} ${r.lastRun.state}` : ''}`)
    return
  }
  if (action !== 'set') throw new CliError(`"dbadmin backup schedule" needs list or set, not "${action ?? ''}"`)
  const which = ctx.args.positional[3]
  if (!which || !(SCHEDULED as readonly string[]).includes(which)) throw new CliError(`KIND must be ${SCHEDULED.join(', ')}, not "${which ?? ''}"`)
  const off = ctx.args.flags.off === true
  const current = (await listSchedules(ctx.state(), kinds, (await targetIdentity(ctx.target())).key, configuredSchedules(ctx.config))).find((r) => r.kind === `backup.${which}`)!
  const cron = stringFlag(ctx.args, 'cron') ?? (off ? current.cron : undefined)
  if (cron === undefined) throw new CliError('give --cron "MIN HOUR DOM MON DOW", or --off')
  const setting = { cron, timezone: stringFlag(ctx.args, 'timezone') ?? current.timezone, enabled: !off }
  const input = { kind: `backup.${which}`, ...setting }
  try {
    const saved = await saveSchedule(await ctx.jobs(), `backup.${which}`, setting, 'cli')
    const message = saved.enabled ? `backup.${which} now runs on "${saved.cron}" (${saved.timezone}).` : `backup.${which} no longer runs on a schedule.`
    await writeAudit(ctx.state(), { actorEmail: 'cli', action: 'jobs.schedule.save', target: `backup.${which}`, input, result: 'ok', code: 'ok', message })
    if (ctx.json) return ctx.print({ kind: `backup.${which}`, ...saved })
    ctx.out(message)
  } catch (e) {
    if (!(e instanceof ScheduleError)) throw e
    await writeAudit(ctx.state(), { actorEmail: 'cli', action: 'jobs.schedule.save', target: `backup.${which}`, input, result: 'failed', code: 'invalid_input', message: e.message })
    throw new CliError(e.message, 2)
  }
}

const ID = [{ name: 'ID', required: true }]

export const backupCommand: Command = {
  help: 'backup create|list|verify ID|restore ID --into NEWDB|download ID --out FILE|schedule list|set [--json]  take, list, verify, restore and download backups; their schedules',
  subcommands: {
    create: {
      flags: { kind: { type: 'string', value: 'full|schema|data' }, format: { type: 'string', value: 'custom|directory|plain' }, ...JSON_FLAG },
      check: (args) => void createFlags(args),
      summary: 'take a backup (default full, custom format), catalogued like the page’s; prints { id, file, sizeBytes, sha256, status } with --json',
    },
    list: { flags: JSON_FLAG, summary: 'this database’s backups, newest first' },
    verify: { args: ID, flags: { drill: { type: 'boolean' }, ...JSON_FLAG }, summary: 'checksum and pg_restore --list; with --drill restore into a scratch database and compare row counts (exit 1 on failure)' },
    restore: {
      args: ID,
      flags: { into: { type: 'string', value: 'NEWDB', required: true }, table: { type: 'string', value: 'SCHEMA.TABLE' }, ...JSON_FLAG },
      check: (args) => void restoreFlags(args),
      summary: 'restore into a new database (the target is never touched from here); --table restores one table with what it needs',
    },
    download: { args: ID, flags: { out: { type: 'string', value: 'FILE', required: true }, decrypt: { type: 'boolean' }, ...JSON_FLAG }, summary: 'write the backup (decrypted with --decrypt) to a new 0600 FILE' },
    schedule: {
      args: [
        { name: 'list|set', required: true },
        { name: 'full|schema|data|drill', required: false },
      ],
      flags: { cron: { type: 'string', value: 'CRON' }, timezone: { type: 'string', value: 'TZ' }, off: { type: 'boolean' }, ...JSON_FLAG },
      check: (args) => {
        if (args.positional[2] === 'set' && args.flags.cron === undefined && args.flags.off !== true) throw new CliError('give --cron "MIN HOUR DOM MON DOW", or --off')
      },
      summary: 'the backup and drill schedules (as on the Jobs page): list, or set KIND --cron "0 2 * * *" [--timezone TZ] | --off',
    },
  },
  run: (ctx) => {
    const sub = ctx.args.positional[1]
    if (sub === 'create') return create(ctx)
    if (sub === 'list') return list(ctx)
    if (sub === 'verify') return verify(ctx)
    if (sub === 'restore') return restore(ctx)
    if (sub === 'schedule') return schedule(ctx)
    return download(ctx)
  },
}
