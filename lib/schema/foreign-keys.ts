import { type Kysely, sql } from 'kysely'
import type { FkAction } from './types'

/**
 * A foreign key as the catalog holds it: the one type the schema pages (ForeignKeyInfo), delete
 * impact and diagrams (ForeignKeyEdge) and integrity (IntegrityRelation) take their fields from.
 */
export interface ForeignKey {
  name: string
  /** The referencing (child) table. */
  schema: string
  table: string
  columns: string[]
  /** The referenced (parent) table. */
  refSchema: string
  refTable: string
  refColumns: string[]
  onDelete: FkAction
  onUpdate: FkAction
  deferrable: boolean
  initiallyDeferred: boolean
  /** false for a constraint added NOT VALID and not validated since. */
  validated: boolean
  /** Declared MATCH FULL: a reference with some but not all columns NULL is a violation too. */
  matchFull: boolean
  definition: string
  /** Per column pair, the key's collation [schema, name] where the referencing column's differs; else null. */
  collations: ([string, string] | null)[]
  /** Per column pair, the key's string type [schema, name] where the referencing column's type differs; else null. */
  casts: ([string, string] | null)[]
}

export const FK_ACTIONS: Record<string, FkAction> = { a: 'NO ACTION', r: 'RESTRICT', c: 'CASCADE', n: 'SET NULL', d: 'SET DEFAULT' }

/** A schema of the system's own (pg_catalog, pg_toast, pg_temp_N, information_schema). */
export function isSystemSchema(schema: string): boolean {
  return schema.startsWith('pg_') || schema === 'information_schema'
}

/** Which key and what it joins: its name, the child table and columns, the parent table. */
export function keyEnds(k: Omit<ForeignKey, 'collations' | 'casts'>): Pick<ForeignKey, 'name' | 'schema' | 'table' | 'columns' | 'refSchema' | 'refTable'> {
  return { name: k.name, schema: k.schema, table: k.table, columns: k.columns, refSchema: k.refSchema, refTable: k.refTable }
}

/** Every foreign key of the database, validated or NOT VALID, multi-column included, in one query. */
export async function readForeignKeys(db: Kysely<any>): Promise<ForeignKey[]> {
  const { rows } = await sql<Omit<ForeignKey, 'onDelete' | 'onUpdate'> & { on_delete: string; on_update: string }>`
    select con.conname as name, n.nspname as schema, c.relname as table,
           array(select a.attname::text from unnest(con.conkey) with ordinality k(attnum, ord)
                 join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.attnum order by k.ord) as columns,
           fn.nspname as "refSchema", fc.relname as "refTable",
           array(select a.attname::text from unnest(con.confkey) with ordinality k(attnum, ord)
                 join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.attnum order by k.ord) as "refColumns",
           con.confdeltype::text as on_delete, con.confupdtype::text as on_update,
           con.condeferrable as deferrable, con.condeferred as "initiallyDeferred",
           con.convalidated as validated, con.confmatchtype = 'f' as "matchFull",
           pg_get_constraintdef(con.oid) as definition,
           -- Where the two sides' collations differ, the key's (as PostgreSQL's own check compares).
           array(select case when ca.attcollation <> 0 and pa.attcollation <> 0 and ca.attcollation <> pa.attcollation
                             then json_build_array(cn.nspname, co.collname) end
                   from unnest(con.conkey, con.confkey) with ordinality k(ck, pk, ord)
                   join pg_attribute ca on ca.attrelid = con.conrelid and ca.attnum = k.ck
                   join pg_attribute pa on pa.attrelid = con.confrelid and pa.attnum = k.pk
                   left join pg_collation co on co.oid = pa.attcollation
                   left join pg_namespace cn on cn.oid = co.collnamespace
                  order by k.ord) as collations,
           -- Where a string key is referenced by a column of another string type (text → char(n)),
           -- the key's type, as PostgreSQL's check compares: char(n) ignores trailing blanks.
           array(select case when ca.atttypid <> pa.atttypid and bt.typcategory = 'S'
                             then json_build_array(btn.nspname, bt.typname) end
                   from unnest(con.conkey, con.confkey) with ordinality k(ck, pk, ord)
                   join pg_attribute ca on ca.attrelid = con.conrelid and ca.attnum = k.ck
                   join pg_attribute pa on pa.attrelid = con.confrelid and pa.attnum = k.pk
                   join pg_type pt on pt.oid = pa.atttypid
                   join pg_type bt on bt.oid = case when pt.typtype = 'd' then pt.typbasetype else pt.oid end
                   join pg_namespace btn on btn.oid = bt.typnamespace
                  order by k.ord) as casts
    from pg_constraint con
    join pg_class c on c.oid = con.conrelid join pg_namespace n on n.oid = c.relnamespace
    join pg_class fc on fc.oid = con.confrelid join pg_namespace fn on fn.oid = fc.relnamespace
    -- conparentid = 0 leaves out PostgreSQL's copies on partitions, but not a key defined on a partition itself.
    where con.contype = 'f' and con.conparentid = 0
  `.execute(db)
  return rows.map(({ on_delete, on_update, ...r }) => ({ ...r, onDelete: FK_ACTIONS[on_delete], onUpdate: FK_ACTIONS[on_update] }))
}
