import { type Kysely, sql } from 'kysely'

/** One index with its usage since the statistics reset: the runbook's idx_scan / idx_tup_read / idx_tup_fetch. */
export interface IndexInfo {
  oid: number
  schema: string
  table: string
  name: string
  /** schema.name quoted by the server (format('%I.%I')), ready for SQL shown to people. */
  qualifiedName: string
  qualifiedTable: string
  method: string
  unique: boolean
  primary: boolean
  valid: boolean
  /** The constraint this index enforces (primary key, unique, exclusion). */
  constraint: { name: string; type: 'primary key' | 'unique' | 'exclusion' } | null
  /** A foreign key elsewhere relies on this (unique) index: it cannot be dropped. */
  referencedByForeignKey: boolean
  replicaIdentity: boolean
  /** Key columns as pg_get_indexdef prints them (names or expressions); INCLUDE columns apart. */
  keyColumns: string[]
  includeColumns: string[]
  /** Per key column: operator class, collation and ASC/DESC/NULLS options, to compare indexes exactly. */
  keyOpclasses: number[]
  keyCollations: number[]
  keyOptions: number[]
  predicate: string | null
  /** pg_get_indexdef; null when listed without definitions (the page prints them only for its visible rows). */
  definition: string | null
  scans: number | null
  tuplesRead: number | null
  tuplesFetched: number | null
  /** PostgreSQL 16+: the last index scan. */
  lastScan: Date | null
  sizeBytes: number
  /** An index of a partition, attached to a partitioned index: managed through its parent. */
  partitionChild: boolean
  /** The parent index of a partitioned table (no storage, no statistics of its own). */
  partitioned: boolean
  /** CREATE INDEX (CONCURRENTLY) or REINDEX is building it right now. */
  buildingNow: boolean
}

export interface IndexUsage {
  indexes: IndexInfo[]
  /** When this database's statistics were last reset; null when never since the cluster began collecting. */
  statsResetAt: Date | null
}

const CONSTRAINT_TYPES: Record<string, 'primary key' | 'unique' | 'exclusion'> = { p: 'primary key', u: 'unique', x: 'exclusion' }

export interface ListIndexesOptions {
  schema?: string
  table?: string
  /**
   * Deparse every index's full definition (default true). pg_get_indexdef was a third of the
   * query at 2,000 indexes; the Indexes page asks for it only for the rows it shows (indexDefinitions).
   */
  definitions?: boolean
}

/** Every index outside the system schemas: catalog and statistics only, no index is read. */
export async function listIndexes(db: Kysely<any>, opts: ListIndexesOptions = {}): Promise<IndexUsage> {
  const withDefinitions = opts.definitions ?? true
  const reset = await sql<{ stats_reset: Date | null; version: number }>`/* dor-db-admin */
    select (select stats_reset from pg_stat_database where datname = current_database()) as stats_reset,
           current_setting('server_version_num')::int as version`.execute(db)
  // The statistics functions pg_stat_all_indexes is made of, called directly: joining the view and
  // reading last_idx_scan (PostgreSQL 16+) through to_jsonb(s) built every row's whole record.
  // The view counts indexes of tables, TOAST tables and materialized views only: a partitioned
  // index has no statistics (null, as before).
  const counted = sql`t.relkind in ('r', 't', 'm')`
  const lastScan = (reset.rows[0]?.version ?? 0) >= 160000 ? sql`pg_stat_get_lastscan(i.indexrelid)` : sql`null::timestamptz`
  const { rows } = await sql<any>`/* dor-db-admin */
    select i.indexrelid as oid, n.nspname as schema, t.relname as table, c.relname as name,
           format('%I.%I', n.nspname, c.relname) as qualified_name, format('%I.%I', n.nspname, t.relname) as qualified_table,
           am.amname as method, i.indisunique as unique, i.indisprimary as primary, i.indisvalid as valid,
           i.indisreplident as replica_identity, con.conname, con.contype,
           exists (select 1 from pg_constraint f where f.contype = 'f' and f.conindid = i.indexrelid) as referenced_by_fk,
           -- A plain column as pg_get_indexdef(oid, k, true) prints it (its quoted name) without deparsing the index.
           array(select coalesce((select format('%I', a.attname) from pg_attribute a where i.indkey[k - 1] <> 0 and a.attrelid = i.indrelid and a.attnum = i.indkey[k - 1]),
                                 pg_get_indexdef(i.indexrelid, k, true))
                 from generate_series(1, i.indnatts) k) as columns,
           i.indnkeyatts as key_count,
           i.indclass::oid[] as opclasses, i.indcollation::oid[] as collations, i.indoption::int2[] as options,
           pg_get_expr(i.indpred, i.indrelid, true) as predicate,
           case when ${withDefinitions}::boolean then pg_get_indexdef(i.indexrelid) end as definition,
           case when ${counted} then pg_stat_get_numscans(i.indexrelid) end as idx_scan,
           case when ${counted} then pg_stat_get_tuples_returned(i.indexrelid) end as idx_tup_read,
           case when ${counted} then pg_stat_get_tuples_fetched(i.indexrelid) end as idx_tup_fetch,
           case when ${counted} then ${lastScan} end as last_scan,
           pg_relation_size(i.indexrelid) as size_bytes,
           c.relispartition as partition_child, c.relkind = 'I' as partitioned,
           exists (select 1 from pg_stat_progress_create_index p where p.index_relid = i.indexrelid) as building_now
    from pg_index i
    join pg_class c on c.oid = i.indexrelid
    join pg_class t on t.oid = i.indrelid
    join pg_namespace n on n.oid = t.relnamespace
    join pg_am am on am.oid = c.relam
    left join pg_constraint con on con.conindid = i.indexrelid and con.conrelid = i.indrelid and con.contype in ('p', 'u', 'x')
    where n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_toast'
      and (${opts.schema ?? null}::text is null or n.nspname = ${opts.schema ?? null})
      and (${opts.table ?? null}::text is null or t.relname = ${opts.table ?? null})
    order by n.nspname, t.relname, c.relname
  `.execute(db)
  return {
    statsResetAt: reset.rows[0]?.stats_reset ?? null,
    indexes: rows.map((r): IndexInfo => {
      const columns: string[] = r.columns
      return {
        oid: Number(r.oid),
        schema: r.schema,
        table: r.table,
        name: r.name,
        qualifiedName: r.qualified_name,
        qualifiedTable: r.qualified_table,
        method: r.method,
        unique: r.unique,
        primary: r.primary,
        valid: r.valid,
        constraint: r.conname ? { name: r.conname, type: CONSTRAINT_TYPES[r.contype] } : null,
        referencedByForeignKey: r.referenced_by_fk,
        replicaIdentity: r.replica_identity,
        keyColumns: columns.slice(0, r.key_count),
        includeColumns: columns.slice(r.key_count),
        keyOpclasses: (r.opclasses as (number | string)[]).map(Number).slice(0, r.key_count),
        keyCollations: (r.collations as (number | string)[]).map(Number).slice(0, r.key_count),
        keyOptions: (r.options as number[]).slice(0, r.key_count),
        predicate: r.predicate,
        definition: r.definition ?? null,
        scans: r.idx_scan,
        tuplesRead: r.idx_tup_read,
        tuplesFetched: r.idx_tup_fetch,
        lastScan: r.last_scan,
        sizeBytes: r.size_bytes,
        partitionChild: r.partition_child,
        partitioned: r.partitioned,
        buildingNow: r.building_now,
      }
    }),
  }
}

/** pg_get_indexdef of the given indexes (those still there), for a page of listIndexes rows read without definitions. */
export async function indexDefinitions(db: Kysely<any>, oids: readonly number[]): Promise<Map<number, string>> {
  if (!oids.length) return new Map()
  const { rows } = await sql<{ oid: string | number; definition: string | null }>`/* dor-db-admin */
    select i.indexrelid as oid, pg_get_indexdef(i.indexrelid) as definition
    from pg_index i where i.indexrelid = any(${oids.map(String)}::oid[])
  `.execute(db)
  return new Map(rows.filter((r) => r.definition !== null).map((r) => [Number(r.oid), r.definition as string]))
}
