import { type Kysely, sql } from 'kysely'
import { describeRelation, type IntegrityRelation } from './types'
import { seedDorPresets } from './dor-presets'
import { targetIdentity } from '../db/target-identity'
import { AppError } from '../errors'
import type { StateDb } from '../state/state-db'

export interface SoftRelation extends IntegrityRelation {
  id: number
  status: 'accepted' | 'dismissed'
  origin: 'preset' | 'manual' | 'suggestion'
  note: string | null
  createdBy: string
}

/** The soft relations and dismissed suggestions of one target (lib/db/target-identity.ts), with the DoR presets the first time. */
export async function listSoftRelations(state: StateDb, targetKey: string): Promise<SoftRelation[]> {
  await seedDorPresets(state, targetKey)
  const rows = await state.selectFrom('soft_relation').selectAll().where('target_key', '=', targetKey).orderBy('id').execute()
  return rows.map((r) => {
    const ends = { schema: r.schema, table: r.table, columns: r.columns, refSchema: r.ref_schema, refTable: r.ref_table, refColumns: r.ref_columns }
    return {
      id: Number(r.id),
      name: describeRelation(ends),
      ...ends,
      source: 'soft' as const,
      validated: null,
      status: r.status as SoftRelation['status'],
      origin: r.origin as SoftRelation['origin'],
      note: r.note,
      createdBy: r.created_by,
    }
  })
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
 * Records a soft relation (accepted) or a dismissed suggestion of `target`, after checking against its live
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
  const { key } = await targetIdentity(target)
  // The presets first, as if the settings had been read before: a relation like a preset replaces it.
  await seedDorPresets(state, key)
  await state
    .insertInto('soft_relation')
    .values({
      target_key: key,
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

/** Deletes a relation of this target only: another target's relation #id is not found. */
export async function deleteSoftRelation(state: StateDb, id: number, targetKey: string): Promise<boolean> {
  const r = await state.deleteFrom('soft_relation').where('id', '=', id).where('target_key', '=', targetKey).executeTakeFirst()
  return Number(r.numDeletedRows) > 0
}
