import { type Kysely, sql } from 'kysely'
import { targetIdentity } from '../db/target-identity'
import { AppError } from '../errors'
import type { StateDb } from '../state/state-db'

/** A text column declared to hold one of a fixed set of values (an enum kept as text). */
export interface EnumColumnSet {
  id: number
  schema: string
  table: string
  column: string
  values: string[]
  createdBy: string
}

export class EnumSetRuleError extends AppError {
  /** The form field the error is about, if one: the refusal is shown next to it. */
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super('invalid_input', message, field ? { fieldErrors: { [field]: message } } : {})
  }
}

/** The value sets declared for one target (lib/db/target-identity.ts). */
export async function listEnumSets(state: StateDb, targetKey: string): Promise<EnumColumnSet[]> {
  const rows = await state.selectFrom('enum_column_set').selectAll().where('target_key', '=', targetKey).orderBy('schema').orderBy('table').orderBy('column').execute()
  return rows.map((r) => ({
    id: Number(r.id),
    schema: r.schema,
    table: r.table,
    column: r.column,
    values: r.values,
    createdBy: r.created_by,
  }))
}

/** Declares (or replaces) the value set of a column of `target`, after checking in its live catalog that it is a text column. */
export async function saveEnumSet(
  target: Kysely<any>,
  state: StateDb,
  input: { schema: string; table: string; column: string; values: string[]; by: string },
): Promise<void> {
  const values = [...new Set(input.values)]
  if (values.length === 0) throw new EnumSetRuleError('Give at least one value.', 'values')
  const { rows } = await sql<{ category: string }>`
    select t.typcategory::text as category
    from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
    join pg_type t on t.oid = a.atttypid
    where n.nspname = ${input.schema} and c.relname = ${input.table} and a.attname = ${input.column}
      and a.attnum > 0 and not a.attisdropped and c.relkind in ('r', 'p')
  `.execute(target)
  if (!rows[0]) throw new EnumSetRuleError(`There is no column ${input.column} in ${input.schema}.${input.table}.`, 'column')
  if (rows[0].category !== 'S') throw new EnumSetRuleError(`${input.column} is not a text column; an enum column is checked by its type.`, 'column')
  const { key } = await targetIdentity(target)
  await state
    .insertInto('enum_column_set')
    .values({ schema: input.schema, table: input.table, column: input.column, values, created_by: input.by, target_key: key })
    .onConflict((oc) => oc.constraint('enum_column_set_key').doUpdateSet({ values, created_by: input.by }))
    .execute()
}

/** Deletes a value set of this target only: another target's set #id is not found. */
export async function deleteEnumSet(state: StateDb, id: number, targetKey: string): Promise<boolean> {
  const r = await state.deleteFrom('enum_column_set').where('id', '=', id).where('target_key', '=', targetKey).executeTakeFirst()
  return Number(r.numDeletedRows) > 0
}
