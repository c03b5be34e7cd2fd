import fs from 'node:fs'
import path from 'node:path'
import readline from 'node:readline'
import { type Kysely, sql } from 'kysely'
import { orphanCondition } from './orphans'
import type { RelationRef as Ref } from './types'

export type FixMode = 'delete' | 'set_null'

export interface FixPlan {
  count: number
  keyColumns: string[]
  /** Every reference column allows NULL, so "set to NULL" is possible. */
  canSetNull: boolean
}

export class FixRuleError extends Error {}

/** What the table allows: its primary key (to save and restore rows by) and NULL in the reference. */
async function fixTableFacts(db: Kysely<any>, rel: Ref): Promise<Omit<FixPlan, 'count'>> {
  const { rows } = await sql<{ keys: string[] | null; nullable: boolean }>`
    select (select array_agg(a.attname::text order by k.ord)
              from pg_constraint p cross join unnest(p.conkey) with ordinality k(attnum, ord)
              join pg_attribute a on a.attrelid = p.conrelid and a.attnum = k.attnum
             where p.conrelid = c.oid and p.contype = 'p') as keys,
           not exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = any(${rel.columns}::text[]) and a.attnotnull) as nullable
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = ${rel.schema} and c.relname = ${rel.table}
  `.execute(db)
  if (!rows[0]) throw new FixRuleError(`There is no table ${rel.schema}.${rel.table}.`)
  return { keyColumns: rows[0].keys ?? [], canSetNull: rows[0].nullable }
}

/** The dry run: how many rows a fix would change, and which fixes the table allows. */
export async function planFix(db: Kysely<any>, rel: Ref): Promise<FixPlan> {
  const facts = await fixTableFacts(db, rel)
  const { rows: n } = await sql<{ n: number }>`
    select count(*)::int8 as n from ${sql.id(rel.schema, rel.table)} as c where ${orphanCondition(rel)}
  `.execute(db)
  return { count: Number(n[0].n), ...facts }
}

export interface FixProgress {
  /** Saving writes every affected row to the file; changing deletes or updates them in batches. */
  phase: 'saving' | 'changing'
  saved: number
  changed: number
  total: number
}

export interface FixResult {
  saved: number
  changed: number
  total: number
  cancelled: boolean
  file: string
}

/** Written beside the saved rows (`<file>.meta.json`): what restoring them needs. */
export interface FixManifest {
  relation: Ref
  mode: FixMode
  keyColumns: string[]
  savedAt: string
}

export function manifestPath(file: string): string {
  return file + '.meta.json'
}

export function readFixManifest(file: string): FixManifest {
  return JSON.parse(fs.readFileSync(manifestPath(file), 'utf8')) as FixManifest
}

/** The rows' keys as a typed record set: jsonb_populate_recordset with the table's own row type. */
function keySet(rel: Ref, keyColumns: string[], keys: Record<string, unknown>[]) {
  return sql`(select ${sql.join(keyColumns.map((k) => sql.id('r', k)))}
    from jsonb_populate_recordset(null::${sql.id(rel.schema, rel.table)}, ${JSON.stringify(keys)}::jsonb) as r)`
}

/**
 * Fixes the orphans of a relation safely: first every affected row is written to `file` (JSON
 * lines, complete before anything changes), then rows are deleted or their reference set to NULL
 * in batches, each its own transaction, re-checking that the row is still an orphan. A cancel
 * stops between batches: what was done is whole batches, and the file still holds every row. A
 * cancel while saving changes nothing and removes the incomplete file.
 */
export async function fixOrphans(
  db: Kysely<any>,
  rel: Ref,
  opts: {
    mode: FixMode
    file: string
    batchSize?: number
    /** The dry run's count, shown as the total until saving has counted exactly. */
    expected?: number
    isCancelled?: () => Promise<boolean> | boolean
    onProgress?: (p: FixProgress) => Promise<void> | void
  },
): Promise<FixResult> {
  // No count here: the dry run counted already, and saving counts exactly (one scan, not two).
  const plan = await fixTableFacts(db, rel)
  if (plan.keyColumns.length === 0) {
    throw new FixRuleError(`${rel.schema}.${rel.table} has no primary key: rows cannot be fixed and restored safely. Add one first.`)
  }
  if (opts.mode === 'set_null' && !plan.canSetNull) {
    throw new FixRuleError(`${rel.columns.join(', ')} ${rel.columns.length === 1 ? 'does' : 'do'} not allow NULL: only deleting is possible.`)
  }
  const batchSize = Math.min(Math.max(Math.trunc(opts.batchSize ?? 5000), 1), 50_000)
  const keyIds = plan.keyColumns.map((k) => sql.id('c', k))
  const keyOf = (row: Record<string, unknown>) => Object.fromEntries(plan.keyColumns.map((k) => [k, row[k]]))
  fs.mkdirSync(path.dirname(opts.file), { recursive: true })
  const out = fs.openSync(opts.file, 'wx', 0o600)
  let saved = 0
  let total = opts.expected ?? 0
  let cancelledWhileSaving = false
  try {
    // 1. Save every affected row: one scan through a cursor, so the file is one consistent snapshot.
    await opts.onProgress?.({ phase: 'saving', saved, changed: 0, total })
    await db.transaction().execute(async (trx) => {
      // Every row is read: plan for all of them (a hash anti-join), not for a fast first batch.
      await sql`select set_config('cursor_tuple_fraction', '1', true)`.execute(trx)
      await sql`declare dbadmin_fix_rows no scroll cursor for
        select to_jsonb(c) as row from ${sql.id(rel.schema, rel.table)} as c
        where ${orphanCondition(rel)} order by ${sql.join(keyIds)}`.execute(trx)
      while (true) {
        const { rows } = await sql<{ row: Record<string, unknown> }>`fetch forward ${sql.lit(batchSize)} from dbadmin_fix_rows`.execute(trx)
        if (rows.length === 0) break
        fs.writeSync(out, rows.map((r) => JSON.stringify(r.row)).join('\n') + '\n')
        saved += rows.length
        total = Math.max(total, saved)
        await opts.onProgress?.({ phase: 'saving', saved, changed: 0, total })
        if (await opts.isCancelled?.()) {
          cancelledWhileSaving = true
          break
        }
      }
    })
    fs.fsyncSync(out)
  } catch (e) {
    fs.closeSync(out)
    fs.rmSync(opts.file, { force: true })
    throw e
  }
  fs.closeSync(out)
  if (cancelledWhileSaving) {
    // Nothing changed yet: an incomplete copy would only mislead.
    fs.rmSync(opts.file, { force: true })
    return { saved: 0, changed: 0, total, cancelled: true, file: opts.file }
  }
  total = saved
  const manifest: FixManifest = {
    relation: { schema: rel.schema, table: rel.table, columns: rel.columns, refSchema: rel.refSchema, refTable: rel.refTable, refColumns: rel.refColumns },
    mode: opts.mode,
    keyColumns: plan.keyColumns,
    savedAt: new Date().toISOString(),
  }
  fs.writeFileSync(manifestPath(opts.file), JSON.stringify(manifest, null, 2) + '\n', { mode: 0o600 })

  // 2. Change them in batches read back from the file (memory stays flat), each its own transaction.
  let changed = 0
  await opts.onProgress?.({ phase: 'changing', saved, changed, total })
  for await (const rows of savedRowBatches(opts.file, batchSize)) {
    if (await opts.isCancelled?.()) return { saved, changed, total, cancelled: true, file: opts.file }
    const batch = keySet(rel, plan.keyColumns, rows.map(keyOf))
    const target = sql`(${sql.join(keyIds)}) in ${batch} and ${orphanCondition(rel)}`
    const result =
      opts.mode === 'delete'
        ? await sql`delete from ${sql.id(rel.schema, rel.table)} as c where ${target}`.execute(db)
        : await sql`update ${sql.id(rel.schema, rel.table)} as c set ${sql.join(rel.columns.map((col) => sql`${sql.id(col)} = null`))} where ${target}`.execute(db)
    changed += Number(result.numAffectedRows ?? 0)
    await opts.onProgress?.({ phase: 'changing', saved, changed, total })
  }
  return { saved, changed, total, cancelled: false, file: opts.file }
}

/** The saved rows of a fix file, `size` at a time, read line by line. */
export async function* savedRowBatches(file: string, size: number): AsyncGenerator<Record<string, unknown>[]> {
  const lines = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity })
  let batch: Record<string, unknown>[] = []
  for await (const line of lines) {
    if (!line) continue
    batch.push(JSON.parse(line) as Record<string, unknown>)
    if (batch.length >= size) {
      yield batch
      batch = []
    }
  }
  if (batch.length > 0) yield batch
}

/** How many rows a fix file holds (its lines), without reading it into memory. */
export async function countSavedRows(file: string): Promise<number> {
  let n = 0
  for await (const batch of savedRowBatches(file, 10_000)) n += batch.length
  return n
}

export interface RestoreOptions {
  batchSize?: number
  isCancelled?: () => Promise<boolean> | boolean
  onProgress?: (restored: number) => Promise<void> | void
}

/** Restores a saved fix from its file alone, reading the relation and mode from the manifest beside it. */
export async function restoreFix(db: Kysely<any>, file: string, opts: RestoreOptions = {}): Promise<{ manifest: FixManifest; restored: number; cancelled: boolean }> {
  const manifest = readFixManifest(file)
  const { restored, cancelled } = await restoreFixedRows(db, manifest.relation, manifest.mode, file, manifest.keyColumns, opts)
  return { manifest, restored, cancelled }
}

/**
 * Puts back rows saved by fixOrphans, in batches of their own transactions: re-inserts deleted rows
 * (rows already there are left alone) or restores the references. Running it again is harmless.
 */
export async function restoreFixedRows(
  db: Kysely<any>,
  rel: Ref,
  mode: FixMode,
  file: string,
  keyColumns: string[],
  opts: RestoreOptions = {},
): Promise<{ restored: number; cancelled: boolean }> {
  const { rows: cols } = await sql<{ name: string }>`
    select a.attname as name from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = ${rel.schema} and c.relname = ${rel.table} and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
    order by a.attnum
  `.execute(db)
  if (cols.length === 0) throw new FixRuleError(`There is no table ${rel.schema}.${rel.table} to restore rows into.`)
  const columns = cols.map((c) => c.name)
  let restored = 0
  for await (const rows of savedRowBatches(file, Math.min(Math.max(opts.batchSize ?? 5000, 1), 50_000))) {
    if (await opts.isCancelled?.()) return { restored, cancelled: true }
    const records = sql`jsonb_populate_recordset(null::${sql.id(rel.schema, rel.table)}, ${JSON.stringify(rows)}::jsonb) as r`
    const result =
      mode === 'delete'
        ? await sql`insert into ${sql.id(rel.schema, rel.table)} (${sql.join(columns.map((c) => sql.id(c)))}) overriding system value
            select ${sql.join(columns.map((c) => sql.id('r', c)))} from ${records} on conflict do nothing`.execute(db)
        : await sql`update ${sql.id(rel.schema, rel.table)} as c set ${sql.join(rel.columns.map((col) => sql`${sql.id(col)} = ${sql.id('r', col)}`))}
            from ${records} where ${sql.join(keyColumns.map((k) => sql`${sql.id('c', k)} = ${sql.id('r', k)}`), sql` and `)}`.execute(db)
    restored += Number(result.numAffectedRows ?? 0)
    await opts.onProgress?.(restored)
  }
  return { restored, cancelled: false }
}
