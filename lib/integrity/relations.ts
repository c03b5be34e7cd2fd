import { type Kysely, sql } from 'kysely'
import { isSystemSchema, keyEnds, readForeignKeys } from '../schema/foreign-keys'
import { describeRelation, type IntegrityRelation, type RelationRef, relationKey } from './types'
import { AppError } from '../errors'
import type { StateDb } from '../state/state-db'

/** Every foreign key in the user schemas, validated or NOT VALID, multi-column included. */
export async function foreignKeyRelations(db: Kysely<any>): Promise<IntegrityRelation[]> {
  return (await readForeignKeys(db))
    .filter((k) => !isSystemSchema(k.schema))
    .map(({ collations, casts, ...k }) => ({
      ...keyEnds(k),
      refColumns: k.refColumns,
      validated: k.validated,
      matchFull: k.matchFull,
      source: 'foreign_key' as const,
      ...(collations.some((c) => c) ? { collations } : {}),
      ...(casts.some((c) => c) ? { casts } : {}),
    }))
    .sort(byRelation)
}

export function byRelation(a: IntegrityRelation, b: IntegrityRelation): number {
  const ka = relationKey(a)
  const kb = relationKey(b)
  return ka < kb ? -1 : ka > kb ? 1 : 0
}

export interface SoftRelation extends IntegrityRelation {
  id: number
  status: 'accepted' | 'dismissed'
  origin: 'preset' | 'manual' | 'suggestion'
  note: string | null
  createdBy: string
}

export async function listSoftRelations(state: StateDb): Promise<SoftRelation[]> {
  const rows = await state.selectFrom('soft_relation').selectAll().orderBy('id').execute()
  return rows.map((r) => ({
    id: Number(r.id),
    name: describeRelation({
      schema: r.schema,
      table: r.table,
      columns: r.columns,
      refSchema: r.ref_schema,
      refTable: r.ref_table,
      refColumns: r.ref_columns,
    }),
    schema: r.schema,
    table: r.table,
    columns: r.columns,
    refSchema: r.ref_schema,
    refTable: r.ref_table,
    refColumns: r.ref_columns,
    source: 'soft' as const,
    validated: null,
    status: r.status as SoftRelation['status'],
    origin: r.origin as SoftRelation['origin'],
    note: r.note,
    createdBy: r.created_by,
  }))
}

export class RelationRuleError extends AppError {
  /** The form field the error is about, if one: the refusal is shown next to it. */
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super('invalid_input', message, field ? { fieldErrors: { [field]: message } } : {})
  }
}

/**
 * Records a soft relation (accepted) or a dismissed suggestion, after checking against the live
 * catalog that both sides exist, the column counts match and the parent columns are a key.
 */
export async function saveSoftRelation(
  target: Kysely<any>,
  state: StateDb,
  input: Omit<IntegrityRelation, 'name' | 'source' | 'validated'> & {
    status: 'accepted' | 'dismissed'
    origin: 'manual' | 'suggestion'
    note?: string
    by: string
  },
): Promise<void> {
  if (input.columns.length === 0 || input.columns.length !== input.refColumns.length) {
    throw new RelationRuleError('Give as many referencing columns as referenced columns.', 'refColumns')
  }
  const { rows } = await sql<{ side: string; missing: string[]; is_key: boolean }>`
    with want(side, schema, tbl, cols) as (
      values ('child', ${input.schema}::text, ${input.table}::text, ${input.columns}::text[]),
             ('parent', ${input.refSchema}::text, ${input.refTable}::text, ${input.refColumns}::text[])
    )
    select w.side,
           array(select col from unnest(w.cols) col where not exists (
             select 1 from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
             where n.nspname = w.schema and c.relname = w.tbl and a.attname = col and a.attnum > 0 and not a.attisdropped)) as missing,
           exists (
             select 1 from pg_index i join pg_class c on c.oid = i.indrelid join pg_namespace n on n.oid = c.relnamespace
             where n.nspname = w.schema and c.relname = w.tbl and i.indisunique and i.indisvalid and i.indpred is null
               and i.indnkeyatts = cardinality(w.cols)
               -- Key columns only (not INCLUDE ones), both sides sorted the same way (byte order).
               and (select array_agg(a.attname::text order by a.attname::text collate "C") from pg_attribute a
                    where a.attrelid = i.indrelid and a.attnum = any((i.indkey::int2[])[0:i.indnkeyatts - 1]))
                 = (select array_agg(x order by x collate "C") from unnest(w.cols) x)) as is_key,
           exists (select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace
                   where n.nspname = w.schema and c.relname = w.tbl and c.relkind in ('r', 'p')) as table_exists
    from want w
  `.execute(target)
  for (const r of rows as any[]) {
    const child = r.side === 'child'
    const what = child ? `${input.schema}.${input.table}` : `${input.refSchema}.${input.refTable}`
    if (!r.table_exists) throw new RelationRuleError(`There is no table ${what}.`, child ? 'table' : 'refTable')
    if (r.missing.length) throw new RelationRuleError(`${what} has no column ${r.missing.join(', ')}.`, child ? 'columns' : 'refColumns')
    if (r.side === 'parent' && !r.is_key && input.status === 'accepted') {
      throw new RelationRuleError(`${what}(${input.refColumns.join(', ')}) is not a primary key or unique: a reference must point at a key.`, 'refColumns')
    }
  }
  await state
    .insertInto('soft_relation')
    .values({
      schema: input.schema,
      table: input.table,
      columns: input.columns,
      ref_schema: input.refSchema,
      ref_table: input.refTable,
      ref_columns: input.refColumns,
      status: input.status,
      origin: input.origin,
      note: input.note ?? null,
      created_by: input.by,
    })
    .onConflict((oc) =>
      oc.constraint('soft_relation_key').doUpdateSet({ status: input.status, note: input.note ?? null, created_by: input.by }),
    )
    .execute()
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
  const suggestions = await suggestRelations(target, [...(await foreignKeyRelations(target)), ...(await listSoftRelations(state))])
  let saved = 0
  for (let i = 0; i < suggestions.length; i += 1000) {
    const r = await state
      .insertInto('soft_relation')
      .values(
        suggestions.slice(i, i + 1000).map((s) => ({
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

export async function deleteSoftRelation(state: StateDb, id: number): Promise<boolean> {
  const r = await state.deleteFrom('soft_relation').where('id', '=', id).executeTakeFirst()
  return Number(r.numDeletedRows) > 0
}

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
 * The presets (DoR-Dash's relations) whose columns exist on both sides with comparable types: a
 * database that merely has tables of those names (a `meeting` keyed by text) is not DoR-Dash.
 */
async function presetsThatFit(db: Kysely<any>, soft: SoftRelation[]): Promise<Set<number>> {
  const presets = soft.filter((s) => s.origin === 'preset')
  if (presets.length === 0) return new Set()
  const pairs = presets.flatMap((p) =>
    p.columns.map((col, i) => ({ id: p.id, child: [p.schema, p.table, col], parent: [p.refSchema, p.refTable, p.refColumns[i]] })),
  )
  const { rows } = await sql<{ id: number; fits: boolean }>`
    with pair as (
      select * from jsonb_to_recordset(${JSON.stringify(pairs)}::jsonb) as x(id int8, child text[], parent text[])
    ),
    typ as (
      select p.id,
             (select a.atttypid from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
               where n.nspname = p.child[1] and c.relname = p.child[2] and a.attname = p.child[3] and a.attnum > 0 and not a.attisdropped) as child_type,
             (select a.atttypid from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
               where n.nspname = p.parent[1] and c.relname = p.parent[2] and a.attname = p.parent[3] and a.attnum > 0 and not a.attisdropped) as parent_type
      from pair p
    )
    select t.id, bool_and(t.child_type is not null and t.parent_type is not null and (
             t.child_type = t.parent_type
             or (select typcategory from pg_type where oid = t.child_type) = 'N' and (select typcategory from pg_type where oid = t.parent_type) = 'N'
             or (select typcategory from pg_type where oid = t.child_type) = 'S' and (select typcategory from pg_type where oid = t.parent_type) = 'S'
           )) as fits
    from typ t group by t.id
  `.execute(db)
  return new Set(rows.filter((r) => r.fits).map((r) => Number(r.id)))
}

/** Every user table, and whether it is a plain table with inheritance children. */
async function existingTables(db: Kysely<any>): Promise<Map<string, boolean>> {
  const { rows } = await sql<{ schema: string; table: string; inherited: boolean }>`
    select n.nspname as schema, c.relname as table,
           c.relkind = 'r' and exists (select 1 from pg_inherits i where i.inhparent = c.oid) as inherited
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p') and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
  `.execute(db)
  return new Map(rows.map((r) => [JSON.stringify([r.schema, r.table]), r.inherited]))
}

/**
 * What the integrity run checks: foreign keys, accepted soft relations whose tables exist in this
 * database (the DoR presets mean nothing elsewhere), and open suggestions.
 */
export async function relationsToCheck(target: Kysely<any>, state: StateDb): Promise<IntegrityRelation[]> {
  const [fks, soft, tables] = await Promise.all([foreignKeyRelations(target), listSoftRelations(state), existingTables(target)])
  const exists = (schema: string, table: string) => tables.has(JSON.stringify([schema, table]))
  const present = soft.filter((s) => s.status === 'accepted' && exists(s.schema, s.table) && exists(s.refSchema, s.refTable))
  const fitting = await presetsThatFit(target, present)
  const accepted = present
    .filter((s) => s.origin !== 'preset' || fitting.has(s.id))
    .map(({ id: _i, status: _s, origin: _o, note: _n, createdBy: _c, ...rel }) => rel)
  const suggestions = await suggestRelations(target, [...fks, ...soft])
  const fkKeys = new Set(fks.map(pairsKey))
  const inherited = (schema: string, table: string) => tables.get(JSON.stringify([schema, table])) === true
  return [...fks, ...accepted.filter((r) => !fkKeys.has(pairsKey(r))), ...suggestions].map((r) => ({
    ...r,
    ...(inherited(r.schema, r.table) ? { childOnly: true } : {}),
    ...(inherited(r.refSchema, r.refTable) ? { parentOnly: true } : {}),
  }))
}

/**
 * A relation's identity as a set of column pairs: a soft relation (a, b) → (x, y) is the same
 * reference as a foreign key (b, a) → (y, x), and is checked once.
 */
function pairsKey(r: RelationRef): string {
  const pairs = r.columns.map((c, i) => [c, r.refColumns[i]]).sort((p, q) => (p[0] < q[0] ? -1 : p[0] > q[0] ? 1 : 0))
  return JSON.stringify([r.schema, r.table, r.refSchema, r.refTable, pairs])
}
