import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { type Kysely, sql } from 'kysely'
import { createDb, PG_URL_UNSAFE_NAME } from '../db/connect'
import { claimScratchName } from '../migrations/scratch-database'
import { openPrivateFile } from '../runtime/private-files'
import { archiveInput, type ArchiveInput } from './archive-input'
import { namedToc } from './archive-tools'
import { BackupError, cancelledError } from './backup-error'
import { removeTree } from './backup-files'
import { requireBackup } from './catalogue'
import { findToolsFor, type PgTools } from './pg-tools'
import { createRestoreDatabase, describeTarget, dropRestoreDatabase, type TargetServer } from './restore-database'
import { runRestoreTool, type RestoreOptions } from './restore'
import { listFile, type PlannedEntry, planTableRestore, type SkippedEntry, type TablePlan } from './table-plan'
import type { TocEntry } from './toc'
import { describeExit, runTool } from './tool-process'
import type { TableName } from './types'
import type { StateDb } from '../state/state-db'

export interface TableRestoreOptions extends Omit<RestoreOptions, 'into' | 'jobs' | 'safetyEncryption'> {
  table: TableName
  /** Into the target (default) or a new database made for it. */
  into?: 'target' | { newDatabase: string }
  /** Restore under this name (same schema), beside the table that has the original name. */
  as?: string
}

export interface TableRestoreResult {
  backupId: string
  database: string
  createdDatabase: boolean
  table: TableName
  /** Rows in the restored table afterwards. */
  rows: number
  included: PlannedEntry[]
  present: PlannedEntry[]
  skipped: SkippedEntry[]
  durationMs: number
}

/** Whether the destination already has the object an archive entry would create. */
async function existsIn(db: Kysely<any>, e: TocEntry): Promise<boolean> {
  const schema = e.schema ?? ''
  const name = e.name ?? ''
  let q
  switch (e.desc) {
    case 'SCHEMA':
      q = sql<{ ok: boolean }>`select exists(select 1 from pg_namespace where nspname = ${name}) as ok`
      break
    case 'EXTENSION':
      q = sql<{ ok: boolean }>`select exists(select 1 from pg_extension where extname = ${name}) as ok`
      break
    case 'TYPE':
    case 'SHELL TYPE':
    case 'DOMAIN':
      q = sql<{ ok: boolean }>`select exists(select 1 from pg_type t join pg_namespace n on n.oid = t.typnamespace where n.nspname = ${schema} and t.typname = ${name}) as ok`
      break
    case 'TABLE':
    case 'SEQUENCE':
      q = sql<{ ok: boolean }>`select exists(select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = ${schema} and c.relname = ${name}) as ok`
      break
    case 'FUNCTION':
    case 'PROCEDURE':
    case 'AGGREGATE':
      // The archive names a function as pg_dump's signature: name(identity arguments).
      q = sql<{ ok: boolean }>`select exists(select 1 from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = ${schema} and p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' = ${name}) as ok`
      break
    case 'COLLATION':
      q = sql<{ ok: boolean }>`select exists(select 1 from pg_collation c join pg_namespace n on n.oid = c.collnamespace where n.nspname = ${schema} and c.collname = ${name}) as ok`
      break
    default:
      return false
  }
  const { rows } = await q.execute(db)
  return rows[0].ok
}

async function tableExists(db: Kysely<any>, t: TableName): Promise<boolean> {
  return existsIn(db, { id: 0, desc: 'TABLE', schema: t.schema, name: t.table, owner: null, deps: [], line: '' })
}

/** Plans and runs the entries of one table in one transaction into `url`. */
async function restoreTableEntries(
  tools: PgTools,
  input: ArchiveInput,
  url: string,
  table: TableName,
  o: TableRestoreOptions,
  planOpts: { skipForeignKeys?: string } = {},
): Promise<TablePlan> {
  const toc = await namedToc(tools, input, o.signal)
  const db = createDb(url, { max: 1, applicationName: 'dbadmin restore' })
  let plan: TablePlan
  try {
    if (await tableExists(db, table)) {
      throw new BackupError('conflict', `${table.schema}.${table.table} already exists in ${describeDb(url)}: restore it under a new name, or into a new database.`)
    }
    plan = await planTableRestore(toc.entries, table.schema, table.table, (e) => existsIn(db, e), planOpts)
  } finally {
    await db.destroy()
  }
  const listDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbadmin-restore-'))
  try {
    const list = path.join(listDir, 'entries.list')
    fs.writeFileSync(list, listFile(plan), { mode: 0o600 })
    const tablesTotal = plan.include.filter((e) => e.type === 'TABLE DATA').length
    await runRestoreTool(tools, input, ['--verbose', '--no-password', '--exit-on-error', '--single-transaction', `--use-list=${list}`], {
      url,
      tablesTotal,
      onProgress: o.onProgress,
      signal: o.signal,
    })
  } finally {
    removeTree(listDir)
  }
  return plan
}

function describeDb(url: string): string {
  return JSON.stringify(decodeURIComponent(new URL(url).pathname.slice(1)))
}

/**
 * Gives the table, and the indexes, constraints and owned sequences named after it, the new name;
 * in a scratch database that holds nothing else, so no name there is anyone else's.
 */
async function renameInScratch(db: Kysely<any>, t: TableName, as: string): Promise<void> {
  const renamed = (name: string) => (name.startsWith(t.table) ? as + name.slice(t.table.length) : `${name}_${as}`)
  const rel = sql.id(t.schema, t.table)
  const { rows: cons } = await sql<{ name: string }>`
    select conname as name from pg_constraint where conrelid = ${`${quoteIdent(t.schema)}.${quoteIdent(t.table)}`}::regclass order by conname`.execute(db)
  for (const c of cons) await sql`alter table ${rel} rename constraint ${sql.id(c.name)} to ${sql.id(renamed(c.name))}`.execute(db)
  const { rows: idx } = await sql<{ name: string }>`
    select i.relname as name from pg_index x join pg_class i on i.oid = x.indexrelid
    where x.indrelid = ${`${quoteIdent(t.schema)}.${quoteIdent(t.table)}`}::regclass
      and not exists (select 1 from pg_constraint c where c.conindid = x.indexrelid) order by 1`.execute(db)
  for (const i of idx) await sql`alter index ${sql.id(t.schema, i.name)} rename to ${sql.id(renamed(i.name))}`.execute(db)
  const { rows: seqs } = await sql<{ name: string }>`
    select s.relname as name from pg_depend d join pg_class s on s.oid = d.objid and s.relkind = 'S'
    where d.refobjid = ${`${quoteIdent(t.schema)}.${quoteIdent(t.table)}`}::regclass and d.deptype in ('a', 'i') order by 1`.execute(db)
  for (const s of seqs) await sql`alter sequence ${sql.id(t.schema, s.name)} rename to ${sql.id(renamed(s.name))}`.execute(db)
  await sql`alter table ${rel} rename to ${sql.id(as)}`.execute(db)
}

/** Text for a regclass parameter: identifiers quoted as quote_ident does, then cast server-side. */
function quoteIdent(s: string): string {
  return `"${s.replaceAll('"', '""')}"`
}

/**
 * Restores one table from a backup (`pg_restore -t` as the runbook does, plus what it needs): into
 * the target when it lacks the table, into a new database, or under a new name beside the original.
 * A new name goes through a scratch database: the table and its dependencies are restored there,
 * renamed with their indexes, keys and sequences, dumped again and restored from that copy, so no
 * SQL text is ever rewritten. The result says what was included, what was already there and what
 * was left out.
 */
export async function restoreTable(state: StateDb, backupId: string, o: TableRestoreOptions): Promise<TableRestoreResult> {
  const started = Date.now()
  const target = await describeTarget(o.targetUrl)
  const b = await requireBackup(state, target.key, backupId)
  if (b.status !== 'succeeded') throw new BackupError('invalid_input', 'Only a backup that succeeded can be restored.')
  if (b.format === 'plain') throw new BackupError('invalid_input', 'A plain SQL backup cannot be restored table by table: restore it whole into a new database.')
  if (b.encrypted && !o.keys) throw new BackupError('decrypt_failed', 'This backup is encrypted, and no key is configured to open it.')
  if (o.as !== undefined && (!o.as || Buffer.byteLength(o.as) > 63)) throw new BackupError('invalid_input', 'A table name has 1 to 63 bytes.')
  // This restore plans and counts over a node-postgres connection to the new database, which no URL can name then.
  if (o.into && o.into !== 'target' && PG_URL_UNSAFE_NAME.test(o.into.newDatabase)) {
    throw new BackupError('invalid_input', 'A new database for a single-table restore cannot hold /, ? or # in its name: choose another name.')
  }
  const input = archiveInput(o.dir, b, o.keys)
  const tools = await findToolsFor(target.serverVersionNum, b.toolVersion, o.pgBinDir)
  const into = o.into ?? 'target'
  const finalName: TableName = { schema: o.table.schema, table: o.as ?? o.table.table }

  let createdDb: string | null = null
  let url = o.targetUrl
  if (into !== 'target') {
    url = await createRestoreDatabase(o.targetUrl, target, into.newDatabase)
    createdDb = into.newDatabase
  }
  try {
    const plan = o.as === undefined ? await restoreTableEntries(tools, input, url, o.table, o) : await restoreRenamed(tools, input, target, url, o)
    const db = createDb(url, { max: 1 })
    let rows: number
    try {
      const r = await sql<{ n: number }>`select count(*) as n from only ${sql.id(finalName.schema, finalName.table)}`.execute(db)
      rows = Number(r.rows[0].n)
    } finally {
      await db.destroy()
    }
    return {
      backupId,
      database: createdDb ?? target.database,
      createdDatabase: createdDb !== null,
      table: finalName,
      rows,
      included: plan.include.filter((e) => !['ENCODING', 'STDSTRINGS', 'SEARCHPATH'].includes(e.type)),
      present: plan.present,
      skipped: plan.skipped,
      durationMs: Date.now() - started,
    }
  } catch (e) {
    if (createdDb) await dropRestoreDatabase(o.targetUrl, createdDb).catch(() => {})
    if (o.signal?.aborted) throw cancelledError(o.signal)
    throw e
  }
}

async function restoreRenamed(tools: PgTools, input: ArchiveInput, target: TargetServer, url: string, o: TableRestoreOptions): Promise<TablePlan> {
  const as = o.as!
  // Owned while it exists, so that another check's cleanup does not take it for a dead one's leftover.
  const claim = await claimScratchName(o.targetUrl, 'table')
  const scratchName = claim.name
  const copy = path.join(path.resolve(o.dir), `table-copy-${randomBytes(4).toString('hex')}.partial`)
  try {
    const scratchUrl = await createRestoreDatabase(o.targetUrl, target, scratchName)
    // 0600 before pg_dump writes the copy's rows into it (it keeps the mode of a file it truncates).
    fs.closeSync(openPrivateFile(copy))
    const first = await restoreTableEntries(tools, input, scratchUrl, o.table, { ...o, onProgress: undefined }, {
      skipForeignKeys: `not recreated on a copy under a new name (it would constrain the copy like the original); add it by hand if the copy is to stay`,
    })
    const scratch = createDb(scratchUrl, { max: 1 })
    try {
      await renameInScratch(scratch, o.table, as)
    } finally {
      await scratch.destroy()
    }
    const exit = await runTool(tools.pgDump, ['--format=custom', '--compress=0', '--no-password', `--file=${copy}`], { url: scratchUrl, signal: o.signal })
    if (exit.code !== 0) throw new BackupError('restore_failed', describeExit('pg_dump (renamed copy)', exit))
    const renamed: ArchiveInput = { path: copy, seekable: true, open: () => Promise.reject(new Error('read by path')) }
    const plan = await restoreTableEntries(tools, renamed, url, { schema: o.table.schema, table: as }, o)
    // What the first pass could not include (a foreign key to a table the scratch database lacks) is reported too.
    return { ...plan, skipped: [...first.skipped, ...plan.skipped] }
  } finally {
    removeTree(copy)
    await dropRestoreDatabase(o.targetUrl, scratchName).catch(() => {})
    await claim.release()
  }
}
