import { type Kysely, sql } from 'kysely'
import { type IndexInfo, type IndexUsage, listIndexes } from './indexes'
import { THRESHOLDS, type ThresholdName } from './thresholds'

export type IndexFindingKind = 'unused' | 'duplicate' | 'redundant' | 'invalid' | 'missing'

/** What a Run button would do; the functions in maintenance.ts take exactly these. */
export type IndexAction =
  | { kind: 'drop-index'; schema: string; name: string }
  | { kind: 'reindex-index'; schema: string; name: string }
  | { kind: 'create-index'; schema: string; table: string; columns: string[] }

export interface IndexFinding {
  kind: IndexFindingKind
  schema: string
  table: string
  /** The index the finding is about; null for a missing-index hint. */
  index: string | null
  title: string
  advice: string
  /** The exact statement, identifiers quoted by the server. */
  sql: string | null
  action: IndexAction | null
  sizeBytes: number | null
  /** For duplicate and redundant indexes: the index that already does its work. */
  coveredBy: string | null
  /** The thresholds this finding was judged by, for the page to show beside it. */
  thresholds: ThresholdName[]
}

export interface TableScanStats {
  schema: string
  table: string
  qualifiedTable: string
  seqScans: number
  seqRowsRead: number
  indexScans: number | null
  liveRows: number
  /** Foreign keys of this table no index starts with: each a ready column list, names quoted. */
  unindexedForeignKeys: { name: string; columns: string[]; quotedColumns: string[] }[]
}

export interface IndexFindings {
  findings: IndexFinding[]
  statsResetAt: Date | null
}

const day = (d: Date | null) => (d ? d.toISOString().slice(0, 10) : null)

/** Same key columns at the same positions, with the same operator class, collation and order. */
function keyAt(ix: IndexInfo, k: number): string {
  return `${ix.keyColumns[k]}\u0000${ix.keyOpclasses[k]}\u0000${ix.keyCollations[k]}\u0000${ix.keyOptions[k]}`
}

function startsWith(longer: IndexInfo, shorter: IndexInfo): boolean {
  if (shorter.keyColumns.length > longer.keyColumns.length) return false
  for (let k = 0; k < shorter.keyColumns.length; k++) if (keyAt(longer, k) !== keyAt(shorter, k)) return false
  return true
}

/** A constraint, a foreign key or replication needs it: never proposed for dropping. */
function pinned(ix: IndexInfo): boolean {
  return !!ix.constraint || ix.primary || ix.referencedByForeignKey || ix.replicaIdentity
}

function comparable(ix: IndexInfo): boolean {
  return ix.valid && !ix.partitionChild && !ix.buildingNow
}

/**
 * Duplicate: the same keys, include columns, predicate and method as another index. Redundant:
 * its keys are the leading keys of another B-tree index with the same predicate (other methods
 * cannot serve a prefix). A unique index is only ever dropped for an identical unique one.
 */
export function duplicateIndexes(indexes: IndexInfo[]): { drop: IndexInfo; keep: IndexInfo; kind: 'duplicate' | 'redundant' }[] {
  const out: { drop: IndexInfo; keep: IndexInfo; kind: 'duplicate' | 'redundant' }[] = []
  const dropped = new Set<number>()
  const byTable = new Map<string, IndexInfo[]>()
  for (const ix of indexes.filter(comparable)) {
    const key = `${ix.schema}\u0000${ix.table}`
    byTable.set(key, [...(byTable.get(key) ?? []), ix])
  }
  // Keep the index that must stay, then the unique one, the more used one, the older one.
  const rank = (ix: IndexInfo) => [pinned(ix) ? 0 : 1, ix.unique ? 0 : 1, -(ix.scans ?? 0), ix.oid]
  const better = (a: IndexInfo, b: IndexInfo) => {
    const [ra, rb] = [rank(a), rank(b)]
    for (let k = 0; k < ra.length; k++) if (ra[k] !== rb[k]) return ra[k] < rb[k]
    return false
  }
  for (const group of byTable.values()) {
    for (const x of group) {
      if (pinned(x) || dropped.has(x.oid)) continue
      for (const y of group) {
        if (y === x || dropped.has(y.oid) || y.method !== x.method || y.predicate !== x.predicate) continue
        const identical =
          x.keyColumns.length === y.keyColumns.length &&
          startsWith(y, x) &&
          x.unique === y.unique &&
          [...x.includeColumns].sort().join('\u0000') === [...y.includeColumns].sort().join('\u0000')
        if (identical) {
          if (!better(y, x)) continue
          out.push({ drop: x, keep: y, kind: 'duplicate' })
          dropped.add(x.oid)
          break
        }
        const covers =
          !x.unique &&
          y.method === 'btree' &&
          startsWith(y, x) &&
          x.includeColumns.every((c) => y.keyColumns.includes(c) || y.includeColumns.includes(c))
        if (covers) {
          out.push({ drop: x, keep: y, kind: x.keyColumns.length === y.keyColumns.length ? 'duplicate' : 'redundant' })
          dropped.add(x.oid)
          break
        }
      }
    }
  }
  return out
}

const dropSql = (ix: IndexInfo) => `DROP INDEX CONCURRENTLY ${ix.qualifiedName};`
const dropAction = (ix: IndexInfo): IndexAction => ({ kind: 'drop-index', schema: ix.schema, name: ix.name })

export function indexFindings(indexes: IndexInfo[], tables: TableScanStats[], statsResetAt: Date | null): IndexFinding[] {
  const since = statsResetAt ? `since the statistics were reset on ${day(statsResetAt)}` : 'since statistics collection began (they were never reset)'
  const replicas = 'Scans on replicas are not counted here: check them before dropping.'
  const findings: IndexFinding[] = []

  for (const ix of indexes) {
    if (ix.valid || ix.buildingNow || ix.partitioned) continue
    const leftover = /_cc(new|old)\d*$/.test(ix.name)
    findings.push({
      kind: 'invalid',
      schema: ix.schema,
      table: ix.table,
      index: ix.name,
      title: `Invalid index ${ix.name}`,
      advice: leftover
        ? 'Left behind by an interrupted REINDEX CONCURRENTLY: the original index still exists. It is updated on every write and never used: drop it.'
        : 'A failed or cancelled CREATE INDEX CONCURRENTLY left it: it is updated on every write but never used for reads. Rebuild it, or drop it if it is not needed.',
      sql: leftover ? dropSql(ix) : `REINDEX INDEX CONCURRENTLY ${ix.qualifiedName};`,
      action: leftover ? dropAction(ix) : { kind: 'reindex-index', schema: ix.schema, name: ix.name },
      sizeBytes: ix.sizeBytes,
      coveredBy: null,
      thresholds: [],
    })
  }

  const duplicates = duplicateIndexes(indexes)
  for (const d of duplicates) {
    findings.push({
      kind: d.kind,
      schema: d.drop.schema,
      table: d.drop.table,
      index: d.drop.name,
      title: d.kind === 'duplicate' ? `${d.drop.name} duplicates ${d.keep.name}` : `${d.drop.name} is covered by ${d.keep.name}`,
      advice:
        d.kind === 'duplicate'
          ? `It has the same columns, method and predicate as ${d.keep.name}; every write updates both. Drop it.`
          : `Its columns (${d.drop.keyColumns.join(', ')}) lead ${d.keep.name} (${d.keep.keyColumns.join(', ')}), which serves the same lookups. Drop it unless its smaller size matters for a hot query; EXPLAIN that query first.`,
      sql: dropSql(d.drop),
      action: dropAction(d.drop),
      sizeBytes: d.drop.sizeBytes,
      coveredBy: d.keep.name,
      thresholds: [],
    })
  }

  const reported = new Set(duplicates.map((d) => d.drop.oid))
  for (const ix of indexes) {
    if (!comparable(ix) || ix.partitioned || pinned(ix) || ix.unique || reported.has(ix.oid)) continue
    if (ix.scans === null || ix.scans > THRESHOLDS.unusedIndexMaxScans.value) continue
    findings.push({
      kind: 'unused',
      schema: ix.schema,
      table: ix.table,
      index: ix.name,
      title: `Unused index ${ix.name}`,
      advice: `No index scans ${since}, yet every write to ${ix.table} updates it. ${replicas} Drop it if nothing needs it.`,
      sql: dropSql(ix),
      action: dropAction(ix),
      sizeBytes: ix.sizeBytes,
      coveredBy: null,
      thresholds: ['unusedIndexMaxScans'],
    })
  }

  for (const t of tables) {
    const scans = t.seqScans + (t.indexScans ?? 0)
    const indexShare = scans > 0 ? (t.indexScans ?? 0) / scans : 1
    if (t.liveRows < THRESHOLDS.missingIndexMinRows.value || t.seqScans === 0 || indexShare >= THRESHOLDS.missingIndexScanShare.value) continue
    const perScan = Math.round(t.seqRowsRead / t.seqScans)
    const base = `${t.seqScans} sequential scans ${since} read ${perScan} rows each on average; only ${Math.round(indexShare * 100)} % of scans used an index.`
    const thresholds: ThresholdName[] = ['missingIndexMinRows', 'missingIndexScanShare']
    const title = `${t.table} is often read whole`
    if (!t.unindexedForeignKeys.length) {
      findings.push({
        kind: 'missing',
        schema: t.schema,
        table: t.table,
        index: null,
        title,
        advice: `${base} Find the statements filtering ${t.table} under Slow queries, EXPLAIN them, and index the columns they filter or join on.`,
        sql: null,
        action: null,
        sizeBytes: null,
        coveredBy: null,
        thresholds,
      })
      continue
    }
    for (const fk of t.unindexedForeignKeys) {
      findings.push({
        kind: 'missing',
        schema: t.schema,
        table: t.table,
        index: null,
        title,
        advice: `${base} Its foreign key ${fk.name} (${fk.columns.join(', ')}) has no index: joins and deletes on the referenced table scan ${t.table}. Index it, then check the slow statements on ${t.table}.`,
        sql: `CREATE INDEX CONCURRENTLY ON ${t.qualifiedTable} (${fk.quotedColumns.join(', ')});`,
        action: { kind: 'create-index', schema: t.schema, table: t.table, columns: fk.columns },
        sizeBytes: null,
        coveredBy: null,
        thresholds,
      })
    }
  }
  return findings
}

/** Sequential vs index scans per table, with the foreign keys no index starts with. */
export async function readTableScanStats(db: Kysely<any>, opts: { schema?: string; table?: string } = {}): Promise<TableScanStats[]> {
  const { rows } = await sql<any>`/* dor-db-admin */
    select st.schemaname as schema, st.relname as table, format('%I.%I', st.schemaname, st.relname) as qualified_table,
           st.seq_scan, st.seq_tup_read, st.idx_scan, st.n_live_tup,
           coalesce((
             select json_agg(json_build_object(
                      'name', f.conname,
                      'columns', (select array_agg(a.attname order by k.ord) from unnest(f.conkey) with ordinality k(attnum, ord)
                                  join pg_attribute a on a.attrelid = f.conrelid and a.attnum = k.attnum),
                      'quoted', (select array_agg(format('%I', a.attname) order by k.ord) from unnest(f.conkey) with ordinality k(attnum, ord)
                                 join pg_attribute a on a.attrelid = f.conrelid and a.attnum = k.attnum)) order by f.conname)
             from pg_constraint f
             where f.conrelid = st.relid and f.contype = 'f'
               and not exists (
                 select 1 from pg_index i
                 where i.indrelid = f.conrelid and i.indisvalid
                   and (i.indkey::int2[])[0:cardinality(f.conkey) - 1] @> f.conkey
                   and (i.indkey::int2[])[0:cardinality(f.conkey) - 1] <@ f.conkey)
           ), '[]') as fks
    from pg_stat_user_tables st
    where (${opts.schema ?? null}::text is null or st.schemaname = ${opts.schema ?? null})
      and (${opts.table ?? null}::text is null or st.relname = ${opts.table ?? null})
    order by st.schemaname, st.relname
  `.execute(db)
  return rows.map((r) => ({
    schema: r.schema,
    table: r.table,
    qualifiedTable: r.qualified_table,
    seqScans: r.seq_scan ?? 0,
    seqRowsRead: r.seq_tup_read ?? 0,
    indexScans: r.idx_scan,
    liveRows: r.n_live_tup ?? 0,
    unindexedForeignKeys: (r.fks as { name: string; columns: string[]; quoted: string[] }[]).map((f) => ({
      name: f.name,
      columns: f.columns,
      quotedColumns: f.quoted,
    })),
  }))
}

/** Every index finding of the database (or one table), each with its advice and exact SQL. */
export async function readIndexFindings(db: Kysely<any>, opts: { schema?: string; table?: string } = {}): Promise<IndexFindings> {
  const [usage, tables] = await Promise.all([listIndexes(db, { ...opts, definitions: false }), readTableScanStats(db, opts)])
  return { findings: indexFindings(usage.indexes, tables, usage.statsResetAt), statsResetAt: usage.statsResetAt }
}

/** The findings and the index list from one read of the catalogue (the Indexes page and the CLI show both). */
export async function readIndexesWithFindings(
  db: Kysely<any>,
  opts: { schema?: string; table?: string; definitions?: boolean } = {},
): Promise<IndexFindings & { usage: IndexUsage }> {
  const [usage, tables] = await Promise.all([listIndexes(db, opts), readTableScanStats(db, opts)])
  return { findings: indexFindings(usage.indexes, tables, usage.statsResetAt), statsResetAt: usage.statsResetAt, usage }
}
