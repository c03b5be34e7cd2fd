import { type Kysely, sql } from 'kysely'
import { fromChild, orphanWhen, parentMatches, tableRef } from './orphans'
import type { IntegrityRelation } from './types'

type Ref = Pick<IntegrityRelation, 'schema' | 'table' | 'columns' | 'refSchema' | 'refTable' | 'refColumns' | 'matchFull' | 'collations' | 'casts' | 'childOnly' | 'parentOnly'>

/**
 * Whether at most one parent row can match a reference: a valid unique index of the parent, on
 * plain columns, without a predicate, whose columns are all among the referenced ones. Only then can
 * a LEFT JOIN count the child's rows and its orphans in one pass. A reference compared under another
 * collation than the key's is left out: the index's uniqueness need not hold under it.
 */
export async function parentKeyIsUnique(db: Kysely<any>, rel: Ref): Promise<boolean> {
  if (rel.collations?.some((c) => c)) return false
  const { rows } = await sql<{ ok: boolean }>`
    select exists (
      select 1 from pg_index i
      join pg_class t on t.oid = i.indrelid join pg_namespace n on n.oid = t.relnamespace
      where n.nspname = ${rel.refSchema} and t.relname = ${rel.refTable}
        and i.indisunique and i.indisvalid and i.indpred is null and i.indexprs is null
        and (select bool_and(a.attname = any(${rel.refColumns}::text[]))
             from unnest((i.indkey::int2[])[0:i.indnkeyatts - 1]) k join pg_attribute a on a.attrelid = t.oid and a.attnum = k)
    ) as ok
  `.execute(db)
  return rows[0].ok
}

/**
 * The child's row count and its orphan count in one scan of the child (a restore drill needs both):
 * a LEFT JOIN to the parent, which needs `parentKeyIsUnique` (a second parent row would count a
 * child twice). Unlike NOT EXISTS (an anti-join, which in PostgreSQL 15 must hash the parent), the
 * planner may hash whichever side is smaller, e.g. 1 M uploads rather than 5 M agenda items.
 * A reference joined to a parent has non-NULL key columns, so a NULL first key column of the
 * parent means "no parent row".
 */
export async function countRowsAndOrphans(db: Kysely<any>, rel: Ref): Promise<{ rows: number; orphans: number }> {
  const noParent = sql<boolean>`${sql.id('p', rel.refColumns[0])} is null`
  const { rows } = await sql<{ n: string; o: string }>`
    select count(*) as n, count(*) filter (where ${orphanWhen(rel, noParent)}) as o
    from ${fromChild(rel)} left join ${tableRef(rel.refSchema, rel.refTable, rel.parentOnly)} as p on ${parentMatches(rel)}
  `.execute(db)
  return { rows: Number(rows[0].n), orphans: Number(rows[0].o) }
}
