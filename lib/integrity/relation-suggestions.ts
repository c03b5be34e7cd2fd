import { type Kysely, sql } from 'kysely'
import { foreignKeyRelations } from './foreign-key-relations'
import { listSoftRelations } from './soft-relations'
import { describeRelation, type IntegrityRelation } from './types'
import { targetIdentity } from '../db/target-identity'
import type { StateDb } from '../state/state-db'

/**
 * Candidates by naming: a `<name>_id` column whose table `<name>` (also plural, or without the
 * underscores) in the same schema has a single-column primary key of a compatible type, and no
 * foreign key or soft relation says anything about that column yet.
 */
export async function suggestRelations(db: Kysely<any>, known: IntegrityRelation[]): Promise<IntegrityRelation[]> {
  const { rows } = await sql<{ schema: string; table: string; column: string; ref_table: string; ref_column: string }>`
    with key_columns as (
      select n.nspname as schema, c.relname as tbl, a.attname as col, a.atttypid as typ
      from pg_index i
      join pg_class c on c.oid = i.indrelid join pg_namespace n on n.oid = c.relnamespace
      join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
      where i.indisprimary and i.indnkeyatts = 1 and c.relkind in ('r', 'p') and not c.relispartition
        and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
    ),
    candidates as (
      select n.nspname as schema, c.relname as tbl, a.attname as col, a.atttypid as typ,
             substr(a.attname, 1, length(a.attname) - 3) as stem
      from pg_attribute a
      join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
      -- Partitions are checked through their parent: suggesting them again would count rows twice.
      where a.attname like '%\\_id' and a.attnum > 0 and not a.attisdropped and c.relkind in ('r', 'p') and not c.relispartition
        and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
    )
    select distinct on (cd.schema, cd.tbl, cd.col)
           cd.schema, cd.tbl as table, cd.col as column, k.tbl as ref_table, k.col as ref_column
    from candidates cd
    join key_columns k on k.schema = cd.schema
      and k.tbl in (cd.stem, cd.stem || 's', replace(cd.stem, '_', ''), replace(cd.stem, '_', '') || 's')
      and not (k.tbl = cd.tbl and k.col = cd.col)
      and (k.typ = cd.typ or (k.typ in (20, 21, 23) and cd.typ in (20, 21, 23)))
    order by cd.schema, cd.tbl, cd.col, k.tbl
  `.execute(db)
  const covered = new Set(known.map((r) => JSON.stringify([r.schema, r.table, r.columns])))
  return rows
    .filter((r) => !covered.has(JSON.stringify([r.schema, r.table, [r.column]])))
    .map((r) => {
      const rel = { schema: r.schema, table: r.table, columns: [r.column], refSchema: r.schema, refTable: r.ref_table, refColumns: [r.ref_column] }
      return { ...rel, name: describeRelation(rel), source: 'suggested' as const, validated: null }
    })
}

/**
 * Accepts or dismisses every open suggestion at once (a database with hundreds of `<name>_id`
 * columns): the suggestions come from the live catalog, so each already points at a key.
 */
export async function decideAllSuggestions(
  target: Kysely<any>,
  state: StateDb,
  input: { status: 'accepted' | 'dismissed'; by: string },
): Promise<number> {
  const { key } = await targetIdentity(target)
  const suggestions = await suggestRelations(target, [...(await foreignKeyRelations(target)), ...(await listSoftRelations(state, key))])
  let saved = 0
  for (let i = 0; i < suggestions.length; i += 1000) {
    const r = await state
      .insertInto('soft_relation')
      .values(
        suggestions.slice(i, i + 1000).map((s) => ({
          target_key: key,
          schema: s.schema,
          table: s.table,
          columns: s.columns,
          ref_schema: s.refSchema,
          ref_table: s.refTable,
          ref_columns: s.refColumns,
          status: input.status,
          origin: 'suggestion',
          created_by: input.by,
        })),
      )
      .onConflict((oc) => oc.constraint('soft_relation_key').doNothing())
      .executeTakeFirst()
    saved += Number(r.numInsertedOrUpdatedRows ?? 0)
  }
  return saved
}
