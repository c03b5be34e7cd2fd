import { type Kysely, sql } from 'kysely'
import { toSequence } from '../schema/catalog'
import { querySequences } from '../schema/catalog-types-queries'
import { createIndexSql, rebuildIndexSql, sequenceToBigintSql } from './advice-sql'
import { type Finding, finding } from './findings'

/** Named thresholds, shown next to the findings. */
export const INTEGRITY_THRESHOLDS = {
  /** pghero's default: a sequence past 90 % of its range needs a bigger type soon. */
  sequenceUsedShare: 0.9,
} as const

/** Catalog-only checks: cheap on any size of database. */
export async function schemaChecks(db: Kysely<any>): Promise<Finding[]> {
  const [invalidIndexes, noPk, unindexed, sequences] = await Promise.all([
    sql<{ schema: string; table: string; index: string; definition: string }>`
      select n.nspname as schema, c.relname as table, ic.relname as index, pg_get_indexdef(i.indexrelid) as definition
      from pg_index i join pg_class c on c.oid = i.indrelid join pg_namespace n on n.oid = c.relnamespace
      join pg_class ic on ic.oid = i.indexrelid
      where not i.indisvalid and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
    `.execute(db),
    sql<{ schema: string; table: string; rows: number }>`
      select n.nspname as schema, c.relname as table, greatest(c.reltuples, 0)::float8 as rows
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and not c.relispartition
        and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
        and not exists (select 1 from pg_constraint p where p.conrelid = c.oid and p.contype = 'p')
        and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
    `.execute(db),
    // A foreign key is supported when some valid index on the child starts with its columns.
    sql<{ schema: string; table: string; name: string; columns: string[]; ref_schema: string; ref_table: string }>`
      select n.nspname as schema, c.relname as table, con.conname as name,
             array(select a.attname::text from unnest(con.conkey) with ordinality k(attnum, ord)
                   join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.attnum order by k.ord) as columns,
             fn.nspname as ref_schema, fc.relname as ref_table
      from pg_constraint con
      join pg_class c on c.oid = con.conrelid join pg_namespace n on n.oid = c.relnamespace
      join pg_class fc on fc.oid = con.confrelid join pg_namespace fn on fn.oid = fc.relnamespace
      -- conparentid = 0: the constraint as defined, not PostgreSQL's copies on partitions.
      where con.contype = 'f' and con.conparentid = 0 and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
        and not exists (
          select 1 from pg_index i
          where i.indrelid = con.conrelid and i.indisvalid
            and (i.indkey::int2[])[0:cardinality(con.conkey) - 1] @> con.conkey
            and (i.indkey::int2[])[0:cardinality(con.conkey) - 1] <@ con.conkey)
    `.execute(db),
    querySequences(db, false),
  ])
  const out: Finding[] = []
  out.push(
    finding({
      check: 'invalid_index',
      key: 'invalid_index',
      title: 'Invalid indexes',
      count: invalidIndexes.rows.length,
      values: invalidIndexes.rows.map((r) => `${r.schema}.${r.index}`),
      detail: { indexes: invalidIndexes.rows },
      advice: 'Left by a failed CREATE INDEX CONCURRENTLY: it costs writes and is never used. Drop it and create it again.',
      ...(invalidIndexes.rows.length ? { sql: invalidIndexes.rows.map((r) => rebuildIndexSql(r.schema, r.index, r.definition)).join('\n') } : {}),
    }),
  )
  out.push(
    finding({
      check: 'missing_primary_key',
      key: 'missing_primary_key',
      title: 'Tables without a primary key',
      count: noPk.rows.length,
      values: noPk.rows.map((r) => `${r.schema}.${r.table}`),
      advice: 'Rows cannot be addressed reliably (updates, logical replication, fixes). Add a primary key.',
    }),
  )
  for (const r of unindexed.rows) {
    out.push(
      finding({
        check: 'unindexed_foreign_key',
        key: `unindexed_foreign_key:${JSON.stringify([r.schema, r.table, r.name])}`,
        title: `Foreign key ${r.name} has no supporting index`,
        schema: r.schema,
        table: r.table,
        columns: r.columns,
        refSchema: r.ref_schema,
        refTable: r.ref_table,
        count: 1,
        detail: { constraint: r.name },
        advice: `Deleting from ${r.ref_schema}.${r.ref_table} scans ${r.schema}.${r.table} for each row. Create an index on (${r.columns.join(', ')}).`,
        sql: createIndexSql(r.schema, r.table, r.columns),
      }),
    )
  }
  // A CYCLE sequence wraps around instead of running out.
  const near = sequences.map(toSequence).filter((s) => !s.cycle && (s.usedShare ?? 0) >= INTEGRITY_THRESHOLDS.sequenceUsedShare)
  const unreadable = sequences.filter((s) => !s.readable).map((s) => `${s.schema}.${s.name}`)
  out.push(
    finding({
      check: 'sequence_near_limit',
      key: 'sequence_near_limit',
      title: `Sequences over ${INTEGRITY_THRESHOLDS.sequenceUsedShare * 100} % of their range`,
      count: near.length,
      values: near.map((s) => `${s.schema}.${s.name}`),
      advice: 'Inserts fail when it runs out. Change the column and the sequence to bigint before then.',
      ...(near.length ? { sql: near.map(sequenceToBigintSql).join('\n') } : {}),
      ...(unreadable.length
        ? {
            note: `${unreadable.length} sequence${unreadable.length === 1 ? '' : 's'} not checked: this role may not read ${unreadable.length === 1 ? 'it' : 'them'} (needs USAGE or SELECT): ${unreadable.slice(0, 10).join(', ')}${unreadable.length > 10 ? ', …' : ''}.`,
            detail: { unreadable },
          }
        : {}),
    }),
  )
  return out
}
