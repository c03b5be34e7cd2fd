import fs from 'node:fs'
import { performance } from 'node:perf_hooks'
import { type Kysely, sql } from 'kysely'
import { openPrivateFile } from '../runtime/private-files'
import { type FixManifest, type FixMode, FixRuleError, firstLineColumns, manifestPath, readFixManifest, savedLineBatches, writeSynced } from './fix-file'
import { orphanCondition, tableRef } from './orphans'
import type { RelationRef as Ref } from './types'

export interface FixPlan {
  count: number
  keyColumns: string[]
  /** Every reference column allows NULL, so "set to NULL" is possible. */
  canSetNull: boolean
  /** Foreign keys of other tables that delete or change their rows when rows here are deleted. */
  cascades: string[]
}

interface TableFacts extends Omit<FixPlan, 'count'> {
  /** The table's columns now, in order (dropped ones left out). */
  columns: string[]
  /** Plain inheritance children (not partitions): the table is read and changed with ONLY. */
  hasChildren: boolean
}

/** What the table allows: its primary key (to save and restore rows by), NULL in the reference, and what a delete cascades to. */
async function fixTableFacts(db: Kysely<any>, rel: Ref): Promise<TableFacts> {
  const { rows } = await sql<{ keys: string[] | null; nullable: boolean; columns: string[]; has_children: boolean; cascades: string[] }>`
    select (select array_agg(a.attname::text order by k.ord)
              from pg_constraint p cross join unnest(p.conkey) with ordinality k(attnum, ord)
              join pg_attribute a on a.attrelid = p.conrelid and a.attnum = k.attnum
             where p.conrelid = c.oid and p.contype = 'p') as keys,
           not exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = any(${rel.columns}::text[]) and a.attnotnull) as nullable,
           array(select a.attname::text from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped order by a.attnum) as columns,
           exists (select 1 from pg_inherits i join pg_class ch on ch.oid = i.inhrelid where i.inhparent = c.oid and not ch.relispartition) as has_children,
           array(select format('%s.%s (%s): ON DELETE %s', fn.nspname, fc.relname, f.conname,
                               case f.confdeltype when 'c' then 'CASCADE' when 'n' then 'SET NULL' else 'SET DEFAULT' end)
                   from pg_constraint f join pg_class fc on fc.oid = f.conrelid join pg_namespace fn on fn.oid = fc.relnamespace
                  where f.contype = 'f' and f.confrelid = c.oid and f.conparentid = 0 and f.confdeltype in ('c', 'n', 'd')
                  order by 1) as cascades
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = ${rel.schema} and c.relname = ${rel.table} and c.relkind in ('r', 'p')
  `.execute(db)
  const r = rows[0]
  if (!r) throw new FixRuleError(`There is no table ${rel.schema}.${rel.table}.`)
  return { keyColumns: r.keys ?? [], canSetNull: r.nullable, columns: r.columns, hasChildren: r.has_children, cascades: r.cascades }
}

/** The dry run: how many rows a fix would change, and which fixes the table allows. */
export async function planFix(db: Kysely<any>, rel: Ref): Promise<FixPlan> {
  const { columns: _c, hasChildren, ...facts } = await fixTableFacts(db, rel)
  const { rows: n } = await sql<{ n: number }>`
    select count(*)::int8 as n from ${tableRef(rel.schema, rel.table, hasChildren)} as c where ${orphanCondition(rel)}
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
  /** Milliseconds spent reading the table's facts, saving the rows, and changing them (the bench prints them). */
  phaseMs: { facts: number; saving: number; changing: number }
}

/**
 * Saved lines as a set of typed rows `s.rec` (format 2), parsed by PostgreSQL from the lines' own
 * text: no value passes through a JavaScript number on the way.
 */
function savedRecords(rel: Ref, lines: string[]) {
  return sql`(select e->>'record' as rec_text, (e->>'record')::${sql.id(rel.schema, rel.table)} as rec
    from jsonb_array_elements(${`[${lines.join(',')}]`}::jsonb) as e)`
}

/** c's key equals the saved record's key. */
function sameKey(keyColumns: string[]) {
  return sql.join(
    keyColumns.map((k) => sql`${sql.id('c', k)} = (s.rec).${sql.id(k)}`),
    sql` and `,
  )
}

/** Row text with float digits that round-trip, whatever the database's default. */
async function exactFloats(trx: Kysely<any>): Promise<void> {
  await sql`select set_config('extra_float_digits', '3', true)`.execute(trx)
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
  const phaseMs = { facts: 0, saving: 0, changing: 0 }
  let phaseStart = performance.now()
  const endPhase = (phase: keyof typeof phaseMs) => {
    const now = performance.now()
    phaseMs[phase] = now - phaseStart
    phaseStart = now
  }
  const plan = await fixTableFacts(db, rel)
  endPhase('facts')
  if (plan.keyColumns.length === 0) {
    throw new FixRuleError(`${rel.schema}.${rel.table} has no primary key: rows cannot be fixed and restored safely. Add one first.`)
  }
  if (opts.mode === 'set_null' && !plan.canSetNull) {
    throw new FixRuleError(`${rel.columns.join(', ')} ${rel.columns.length === 1 ? 'does' : 'do'} not allow NULL: only deleting is possible.`)
  }
  // Its own rows only, as the count: inheritance children are tables of their own.
  const table = tableRef(rel.schema, rel.table, plan.hasChildren)
  const batchSize = Math.min(Math.max(Math.trunc(opts.batchSize ?? 5000), 1), 50_000)
  const keyIds = plan.keyColumns.map((k) => sql.id('c', k))
  const out = openPrivateFile(opts.file, 'wx')
  let saved = 0
  let total = opts.expected ?? 0
  let cancelledWhileSaving = false
  try {
    // 1. Save every affected row: one scan through a cursor, so the file is one consistent snapshot.
    //    The lines come from PostgreSQL as text and are written untouched.
    await opts.onProgress?.({ phase: 'saving', saved, changed: 0, total })
    // Repeatable read: the keys found and the rows read are one snapshot.
    await db.transaction().setIsolationLevel('repeatable read').execute(async (trx) => {
      // Every row is read: plan for all of them (a hash anti-join), not for a fast first batch.
      await sql`select set_config('cursor_tuple_fraction', '1', true)`.execute(trx)
      await exactFloats(trx)
      const line = sql`jsonb_build_object('row', to_jsonb(c.*), 'record', row(c.*)::text)::text as line`
      if (await mayCreateTempTables(trx)) {
        // A cursor's query never runs in parallel, so on a big table the anti-join alone took 3× the
        // time psql takes for it. The orphans' keys are found first by one statement that may use
        // parallel workers, and the cursor then reads only those rows by key.
        await sql`create temp table dbadmin_fix_keys on commit drop as
          select ${sql.join(keyIds)} from ${table} as c where ${orphanCondition(rel)}`.execute(trx)
        await sql`analyze dbadmin_fix_keys`.execute(trx)
        const onKeys = sql.join(
          plan.keyColumns.map((k) => sql`${sql.id('c', k)} = ${sql.id('k', k)}`),
          sql` and `,
        )
        await sql`declare dbadmin_fix_rows no scroll cursor for
          select ${line} from ${table} as c join dbadmin_fix_keys as k on ${onKeys}
          order by ${sql.join(keyIds)}`.execute(trx)
      } else {
        await sql`declare dbadmin_fix_rows no scroll cursor for
          select ${line} from ${table} as c where ${orphanCondition(rel)} order by ${sql.join(keyIds)}`.execute(trx)
      }
      while (true) {
        const { rows } = await sql<{ line: string }>`fetch forward ${sql.lit(batchSize)} from dbadmin_fix_rows`.execute(trx)
        if (rows.length === 0) break
        fs.writeSync(out, rows.map((r) => r.line).join('\n') + '\n')
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
    await opts.onProgress?.({ phase: 'saving', saved: 0, changed: 0, total })
    endPhase('saving')
    return { saved: 0, changed: 0, total, cancelled: true, file: opts.file, phaseMs }
  }
  total = saved
  const manifest: FixManifest = {
    format: 2,
    relation: { schema: rel.schema, table: rel.table, columns: rel.columns, refSchema: rel.refSchema, refTable: rel.refTable, refColumns: rel.refColumns },
    mode: opts.mode,
    keyColumns: plan.keyColumns,
    columns: plan.columns,
    savedAt: new Date().toISOString(),
  }
  writeSynced(manifestPath(opts.file), JSON.stringify(manifest, null, 2) + '\n')
  endPhase('saving')

  // 2. Change them in batches read back from the file (memory stays flat), each its own transaction.
  //    A row is changed only while it is still an orphan, and deleted only while it is still exactly
  //    as saved: an edit made meanwhile is not lost to a restore of the older copy.
  let changed = 0
  await opts.onProgress?.({ phase: 'changing', saved, changed, total })
  for await (const lines of savedLineBatches(opts.file, batchSize)) {
    if (await opts.isCancelled?.()) {
      endPhase('changing')
      return { saved, changed, total, cancelled: true, file: opts.file, phaseMs }
    }
    const result = await db.transaction().execute(async (trx) => {
      await exactFloats(trx)
      const s = savedRecords(rel, lines)
      return opts.mode === 'delete'
        ? sql`delete from ${table} as c using ${s} as s
            where ${sameKey(plan.keyColumns)} and row(c.*)::text = s.rec_text and ${orphanCondition(rel)}`.execute(trx)
        : sql`update ${table} as c set ${sql.join(rel.columns.map((col) => sql`${sql.id(col)} = null`))}
            from ${s} as s where ${sameKey(plan.keyColumns)} and ${orphanCondition(rel)}`.execute(trx)
    })
    changed += Number(result.numAffectedRows ?? 0)
    await opts.onProgress?.({ phase: 'changing', saved, changed, total })
  }
  endPhase('changing')
  return { saved, changed, total, cancelled: false, file: opts.file, phaseMs }
}

/** Whether this session may create temporary tables (a read-only role or a standby may not). */
async function mayCreateTempTables(trx: Kysely<any>): Promise<boolean> {
  const { rows } = await sql<{ ok: boolean }>`
    select has_database_privilege(current_database(), 'TEMP') and not pg_is_in_recovery() as ok`.execute(trx)
  return rows[0].ok
}

export interface RestoreOptions {
  batchSize?: number
  isCancelled?: () => Promise<boolean> | boolean
  onProgress?: (restored: number) => Promise<void> | void
}

/** Restores a saved fix from its file alone, reading the relation and mode from the manifest beside it. */
export async function restoreFix(db: Kysely<any>, file: string, opts: RestoreOptions = {}): Promise<{ manifest: FixManifest; restored: number; cancelled: boolean }> {
  const manifest = readFixManifest(file)
  const { restored, cancelled } = await restoreFixedRows(db, manifest, file, opts)
  return { manifest, restored, cancelled }
}

/**
 * Puts back rows saved by fixOrphans, in batches of their own transactions: re-inserts deleted rows
 * (rows that exist again are left alone), or gives NULLed references their values back (only where
 * they are still NULL, so rows the fix left alone or someone repaired since are not touched). Running
 * it again is harmless. When the table's columns are as they were, rows come back exactly from
 * PostgreSQL's row text; otherwise from the JSON, for the columns both have (new ones get defaults).
 */
export async function restoreFixedRows(db: Kysely<any>, manifest: FixManifest, file: string, opts: RestoreOptions = {}): Promise<{ restored: number; cancelled: boolean }> {
  const rel = manifest.relation
  const { rows: cols } = await sql<{ name: string; generated: boolean }>`
    select a.attname as name, a.attgenerated <> '' as generated
    from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = ${rel.schema} and c.relname = ${rel.table} and c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped
    order by a.attnum
  `.execute(db)
  if (cols.length === 0) throw new FixRuleError(`There is no table ${rel.schema}.${rel.table} to restore rows into.`)
  const { hasChildren } = await fixTableFacts(db, rel)
  const exact = manifest.format === 2 && JSON.stringify(manifest.columns) === JSON.stringify(cols.map((c) => c.name))
  const savedColumns = manifest.format === 2 ? manifest.columns : await firstLineColumns(file)
  const insertable = cols.filter((c) => !c.generated && (exact || savedColumns?.includes(c.name))).map((c) => c.name)
  const stillNull = sql.join(
    rel.columns.map((col) => sql`${sql.id('c', col)} is null`),
    sql` and `,
  )
  const value = (col: string) => (exact ? sql`(s.rec).${sql.id(col)}` : sql`${sql.id('s', col)}`)
  let restored = 0
  for await (const lines of savedLineBatches(file, Math.min(Math.max(opts.batchSize ?? 5000, 1), 50_000))) {
    if (await opts.isCancelled?.()) return { restored, cancelled: true }
    const source = exact
      ? savedRecords(rel, lines)
      : sql`(select r.* from jsonb_populate_recordset(null::${sql.id(rel.schema, rel.table)},
          ${manifest.format === 2 ? sql`(select jsonb_agg(e->'row') from jsonb_array_elements(${`[${lines.join(',')}]`}::jsonb) as e)` : sql`${`[${lines.join(',')}]`}::jsonb`}) as r)`
    const match = exact ? sameKey(manifest.keyColumns) : sql.join(manifest.keyColumns.map((k) => sql`${sql.id('c', k)} = ${sql.id('s', k)}`), sql` and `)
    const result = await db.transaction().execute(async (trx) => {
      await exactFloats(trx)
      return manifest.mode === 'delete'
        ? sql`insert into ${sql.id(rel.schema, rel.table)} (${sql.join(insertable.map((c) => sql.id(c)))}) overriding system value
            select ${sql.join(insertable.map(value))} from ${source} as s on conflict do nothing`.execute(trx)
        : sql`update ${tableRef(rel.schema, rel.table, hasChildren)} as c set ${sql.join(rel.columns.map((col) => sql`${sql.id(col)} = ${value(col)}`))}
            from ${source} as s where ${match} and ${stillNull}`.execute(trx)
    })
    restored += Number(result.numAffectedRows ?? 0)
    await opts.onProgress?.(restored)
  }
  return { restored, cancelled: false }
}
