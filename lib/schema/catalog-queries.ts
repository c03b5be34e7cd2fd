import { type Kysely, type RawBuilder, sql } from 'kysely'

/**
 * The catalog queries behind the schema model: one set-based query per kind of object, each
 * limited to a scope (all user schemas, or a few relations by oid), never one query per table.
 */
export type CatalogScope = { all: true; includeSystem: boolean } | { oids: number[] }

/**
 * Condition on a relation alias `c` joined to its namespace `n`. Objects that belong to an
 * extension (pg_stat_statements' views, PostGIS's tables) are the extension's, not the schema's.
 */
function inScope(scope: CatalogScope): RawBuilder<boolean> {
  if ('oids' in scope) return sql<boolean>`c.oid = any(${scope.oids}::oid[])`
  if (scope.includeSystem) return sql<boolean>`true`
  return sql<boolean>`n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
    and not exists (select 1 from pg_depend ext where ext.classid = 'pg_class'::regclass and ext.objid = c.oid and ext.deptype = 'e')`
}

/**
 * Relations another session holds, or waits to take, in ACCESS EXCLUSIVE mode (a migration's
 * ALTER, a LOCK TABLE, VACUUM FULL). Deparsing anything of theirs that refers to columns
 * (defaults, checks, indexes, triggers, views over them) takes an ACCESS SHARE lock and would wait
 * behind it, up to the statement timeout; the schema model shows NOT_READ in its place instead.
 * Evaluated once per query (an uncorrelated subquery), right where the deparsing happens.
 */
const LOCKED = sql`array(select l.relation from pg_locks l
  where l.locktype = 'relation' and l.mode = 'AccessExclusiveLock' and l.pid <> pg_backend_pid()
    and l.database = (select oid from pg_database where datname = current_database()))`

/** What a definition reads when its table was locked by another session at the time. */
export const NOT_READ = '(not read: locked by another session)'

export interface RelationRow {
  oid: number
  schema: string
  name: string
  relkind: string
  owner: string
  row_estimate: number | null
  total_bytes: number | null
  table_bytes: number | null
  index_bytes: number | null
  comment: string | null
  parent_schema: string | null
  parent_name: string | null
  view_definition: string | null
}

/**
 * Reading sizes opens every table's files and takes an ACCESS SHARE lock on each: a snapshot
 * (which drops sizes anyway) must not wait behind a migration's ACCESS EXCLUSIVE lock for them.
 */
export interface ReadOptions {
  sizes?: boolean
}

export async function queryRelations(db: Kysely<any>, scope: CatalogScope, opts: ReadOptions = {}): Promise<RelationRow[]> {
  const sizes = opts.sizes !== false
  const { rows } = await sql<RelationRow>`
    select c.oid::int8 as oid, n.nspname as schema, c.relname as name, c.relkind::text as relkind,
           pg_get_userbyid(c.relowner) as owner,
           case when c.reltuples >= 0 and c.relkind in ('r', 'm', 'p', 'f') then c.reltuples::float8 end as row_estimate,
           size.table_bytes + size.index_bytes as total_bytes, size.table_bytes, size.index_bytes,
           d.description as comment,
           pn.nspname as parent_schema, pc.relname as parent_name,
           case when c.relkind not in ('v', 'm') then null
                when c.oid = any(${LOCKED}) or exists (
                  select 1 from pg_rewrite rw join pg_depend dp on dp.classid = 'pg_rewrite'::regclass and dp.objid = rw.oid
                  where rw.ev_class = c.oid and dp.refobjid = any(${LOCKED})) then ${NOT_READ}
                else pg_get_viewdef(c.oid) end as view_definition
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    -- pg_total_relation_size is by definition pg_table_size + pg_indexes_size: adding them saves
    -- a second walk over every file of every table (most of this query's time at 5,000 tables).
    left join lateral (
      select pg_table_size(c.oid) as table_bytes, pg_indexes_size(c.oid) as index_bytes
      where ${sizes} and c.relkind in ('r', 'm', 'p') and not c.oid = any(${LOCKED})
    ) size on true
    -- Joined rather than obj_description(), a SQL function called once per row.
    left join pg_description d on d.objoid = c.oid and d.classoid = 'pg_class'::regclass and d.objsubid = 0
    left join pg_inherits i on c.relispartition and i.inhrelid = c.oid
    left join pg_class pc on pc.oid = i.inhparent
    left join pg_namespace pn on pn.oid = pc.relnamespace
    where c.relkind in ('r', 'p', 'v', 'm', 'f') and ${inScope(scope)}
    order by n.nspname, c.relname
  `.execute(db)
  return rows
}

export interface ColumnRow {
  rel: number
  name: string
  position: number
  type: string
  type_schema: string
  type_name: string
  typtype: string
  typcategory: string
  nullable: boolean
  default_expr: string | null
  attidentity: string
  attgenerated: string
  comment: string | null
}

export async function queryColumns(db: Kysely<any>, scope: CatalogScope): Promise<ColumnRow[]> {
  const { rows } = await sql<ColumnRow>`
    select a.attrelid::int8 as rel, a.attname as name, a.attnum::int as position,
           format_type(a.atttypid, a.atttypmod) as type, tn.nspname as type_schema, t.typname as type_name,
           t.typtype::text as typtype, t.typcategory::text as typcategory,
           not a.attnotnull as nullable, -- Without column references an expression deparses without the table (and its lock).
           case when d.adbin is null then null
                when strpos(d.adbin::text, '{VAR ') = 0 then pg_get_expr(d.adbin, 0)
                when a.attrelid = any(${LOCKED}) then ${NOT_READ}
                else pg_get_expr(d.adbin, d.adrelid) end as default_expr,
           a.attidentity::text as attidentity, a.attgenerated::text as attgenerated,
           ds.description as comment
    from pg_attribute a
    join pg_class c on c.oid = a.attrelid
    join pg_namespace n on n.oid = c.relnamespace
    join pg_type t on t.oid = a.atttypid
    join pg_namespace tn on tn.oid = t.typnamespace
    left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    -- Joined rather than col_description(), a SQL function whose per-row call took most of this
    -- query's time at 50,000 columns.
    left join pg_description ds on ds.objoid = a.attrelid and ds.classoid = 'pg_class'::regclass and ds.objsubid = a.attnum
    where a.attnum > 0 and not a.attisdropped and c.relkind in ('r', 'p', 'v', 'm', 'f') and ${inScope(scope)}
    order by a.attrelid, a.attnum
  `.execute(db)
  return rows
}

export interface ConstraintRow {
  rel: number
  owner_schema: string
  owner_table: string
  name: string
  contype: string
  definition: string
  validated: boolean
  deferrable: boolean
  deferred: boolean
  columns: string[]
  ref_rel: number | null
  ref_schema: string | null
  ref_table: string | null
  ref_columns: string[] | null
  on_delete: string | null
  on_update: string | null
}

/**
 * Constraints of the relations in scope, plus (for an oid scope) the foreign keys of other
 * relations that point at them, so that a table page can show both directions.
 */
export async function queryConstraints(db: Kysely<any>, scope: CatalogScope): Promise<ConstraintRow[]> {
  const incoming = 'oids' in scope ? sql`or con.confrelid = any(${scope.oids}::oid[])` : sql``
  const { rows } = await sql<ConstraintRow>`
    select con.conrelid::int8 as rel, n.nspname as owner_schema, c.relname as owner_table,
           con.conname as name, con.contype::text as contype,
           -- Keys name only columns; checks and exclusions deparse expressions of the table.
           case when con.contype not in ('p', 'u', 'f') and con.conrelid = any(${LOCKED}) then ${NOT_READ}
                else pg_get_constraintdef(con.oid) end as definition, con.convalidated as validated,
           con.condeferrable as deferrable, con.condeferred as deferred,
           array(select a.attname::text from unnest(con.conkey) with ordinality k(attnum, ord)
                 join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.attnum order by k.ord) as columns,
           nullif(con.confrelid, 0)::int8 as ref_rel, fn.nspname as ref_schema, fc.relname as ref_table,
           case when con.contype = 'f' then
             array(select a.attname::text from unnest(con.confkey) with ordinality k(attnum, ord)
                   join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.attnum order by k.ord)
           end as ref_columns,
           case when con.contype = 'f' then con.confdeltype::text end as on_delete,
           case when con.contype = 'f' then con.confupdtype::text end as on_update
    from pg_constraint con
    join pg_class c on c.oid = con.conrelid
    join pg_namespace n on n.oid = c.relnamespace
    left join pg_class fc on fc.oid = con.confrelid
    left join pg_namespace fn on fn.oid = fc.relnamespace
    where con.contype in ('p', 'u', 'c', 'x', 'f') and (${inScope(scope)} ${incoming})
    order by con.conrelid, con.conname
  `.execute(db)
  return rows
}

export interface IndexRow {
  rel: number
  name: string
  definition: string
  method: string
  unique: boolean
  primary: boolean
  valid: boolean
  partial: boolean
  size_bytes: number | null
  scans: number | null
  columns: string[]
  constraint_name: string | null
}

export async function queryIndexes(db: Kysely<any>, scope: CatalogScope, opts: ReadOptions = {}): Promise<IndexRow[]> {
  const sizes = opts.sizes !== false
  const { rows } = await sql<IndexRow>`
    select i.indrelid::int8 as rel, ic.relname as name,
           case when i.indrelid = any(${LOCKED}) or i.indexrelid = any(${LOCKED}) then ${NOT_READ}
                else pg_get_indexdef(i.indexrelid) end as definition,
           am.amname as method, i.indisunique as unique, i.indisprimary as primary, i.indisvalid as valid,
           i.indpred is not null as partial, case when ${sizes} and not i.indexrelid = any(${LOCKED}) then pg_relation_size(i.indexrelid) end as size_bytes, s.idx_scan as scans,
           array(select coalesce(a.attname::text, case when i.indrelid = any(${LOCKED}) then ${NOT_READ}
                                                      else pg_get_indexdef(i.indexrelid, k.ord::int, true) end)
                 from unnest(i.indkey::int2[]) with ordinality k(attnum, ord)
                 left join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum and k.attnum <> 0
                 where k.ord <= i.indnkeyatts order by k.ord) as columns,
           con.conname as constraint_name
    from pg_index i
    join pg_class ic on ic.oid = i.indexrelid
    join pg_class c on c.oid = i.indrelid
    join pg_namespace n on n.oid = c.relnamespace
    join pg_am am on am.oid = ic.relam
    left join pg_stat_all_indexes s on s.indexrelid = i.indexrelid
    left join pg_constraint con on con.conindid = i.indexrelid and con.conrelid = i.indrelid and con.contype in ('p', 'u', 'x')
    where ${inScope(scope)}
    order by i.indrelid, ic.relname
  `.execute(db)
  return rows
}

export interface TriggerRow {
  rel: number
  name: string
  definition: string
  enabled: string
  function_name: string
}

export async function queryTriggers(db: Kysely<any>, scope: CatalogScope): Promise<TriggerRow[]> {
  const { rows } = await sql<TriggerRow>`
    select t.tgrelid::int8 as rel, t.tgname as name,
           case when t.tgrelid = any(${LOCKED}) then ${NOT_READ} else pg_get_triggerdef(t.oid, true) end as definition,
           t.tgenabled::text as enabled, p.proname as function_name
    from pg_trigger t
    join pg_class c on c.oid = t.tgrelid
    join pg_namespace n on n.oid = c.relnamespace
    join pg_proc p on p.oid = t.tgfoid
    where not t.tgisinternal and ${inScope(scope)}
    order by t.tgrelid, t.tgname
  `.execute(db)
  return rows
}
