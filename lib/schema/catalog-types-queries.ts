import { type Kysely, sql } from 'kysely'

/** Schemas, enum types and sequences: the parts of the catalog that are not relations. */

function schemaFilter(includeSystem: boolean) {
  return includeSystem ? sql<boolean>`true` : sql<boolean>`n.nspname !~ '^pg_' and n.nspname <> 'information_schema'`
}

export interface SchemaRow {
  name: string
  owner: string
  system: boolean
}

export async function querySchemas(db: Kysely<any>, includeSystem: boolean): Promise<SchemaRow[]> {
  const { rows } = await sql<SchemaRow>`
    select n.nspname as name, pg_get_userbyid(n.nspowner) as owner,
           (n.nspname ~ '^pg_' or n.nspname = 'information_schema') as system
    from pg_namespace n
    where ${schemaFilter(includeSystem)} and n.nspname !~ '^pg_(toast_)?temp_'
    order by n.nspname
  `.execute(db)
  return rows
}

export interface EnumRow {
  schema: string
  name: string
  values: string[]
  used_by: { schema: string; table: string; column: string }[]
}

/**
 * Enum types with their labels in order and every column using them (directly, as an array, through a
 * domain, or as an attribute of a composite type).
 * The columns come from one pass over pg_attribute joined on the type oids, not one scan per enum.
 */
export async function queryEnums(db: Kysely<any>, includeSystem: boolean): Promise<EnumRow[]> {
  const { rows } = await sql<EnumRow>`
    with enum_type as (
      select t.oid, n.nspname as schema, t.typname as name
      from pg_type t
      join pg_namespace n on n.oid = t.typnamespace
      where t.typtype = 'e' and ${schemaFilter(includeSystem)}
    ),
    usage as (
      select e.oid, json_agg(json_build_object('schema', cn.nspname, 'table', c.relname, 'column', a.attname)
                             order by cn.nspname, c.relname, a.attnum) as used_by
      from enum_type e
      join pg_type t on t.oid = e.oid
      -- The type itself, its array, and domains over either (and their arrays).
      cross join lateral (
        select t.oid union all select t.typarray
        union all select d.oid from pg_type d where d.typtype = 'd' and d.typbasetype in (t.oid, t.typarray)
        union all select d.typarray from pg_type d where d.typtype = 'd' and d.typbasetype in (t.oid, t.typarray) and d.typarray <> 0
      ) as used(typid)
      join pg_attribute a on a.atttypid = used.typid
      join pg_class c on c.oid = a.attrelid
      join pg_namespace cn on cn.oid = c.relnamespace
      -- Composite types ('c') count too: a table column of that type holds the enum.
      where a.attnum > 0 and not a.attisdropped and c.relkind in ('r', 'p', 'v', 'm', 'f', 'c')
      group by e.oid
    )
    select e.schema, e.name,
           array(select l.enumlabel::text from pg_enum l where l.enumtypid = e.oid order by l.enumsortorder) as values,
           coalesce(u.used_by, '[]'::json) as used_by
    from enum_type e
    left join usage u on u.oid = e.oid
    order by e.schema, e.name
  `.execute(db)
  return rows
}

export interface SequenceRow {
  schema: string
  name: string
  data_type: string
  start_value: number
  min_value: number
  max_value: number
  increment: number
  cycle: boolean
  readable: boolean
  last_value: number | null
  owner_schema: string | null
  owner_table: string | null
  owner_column: string | null
}

export async function querySequences(db: Kysely<any>, includeSystem: boolean): Promise<SequenceRow[]> {
  const { rows } = await sql<SequenceRow>`
    select n.nspname as schema, c.relname as name, format_type(s.seqtypid, null) as data_type,
           s.seqstart as start_value, s.seqmin as min_value, s.seqmax as max_value,
           s.seqincrement as increment, s.seqcycle as cycle,
           has_sequence_privilege(c.oid, 'SELECT,USAGE') as readable,
           case when has_sequence_privilege(c.oid, 'SELECT,USAGE') then pg_sequence_last_value(c.oid) end as last_value,
           dn.nspname as owner_schema, dc.relname as owner_table, da.attname as owner_column
    from pg_sequence s
    join pg_class c on c.oid = s.seqrelid
    join pg_namespace n on n.oid = c.relnamespace
    left join pg_depend d on d.classid = 'pg_class'::regclass and d.objid = c.oid
      and d.refclassid = 'pg_class'::regclass and d.deptype in ('a', 'i')
    left join pg_class dc on dc.oid = d.refobjid
    left join pg_namespace dn on dn.oid = dc.relnamespace
    left join pg_attribute da on da.attrelid = d.refobjid and da.attnum = d.refobjsubid
    where ${schemaFilter(includeSystem)}
    order by n.nspname, c.relname
  `.execute(db)
  return rows
}
