import { type Kysely, sql } from 'kysely'
import type { RoleOwnershipRule } from './role-checks'
import { seedDorPresets } from './dor-presets'
import { targetIdentity } from '../db/target-identity'
import { AppError } from '../errors'
import type { StateDb } from '../state/state-db'

export interface StoredRoleRule extends RoleOwnershipRule {
  id: number
  table: string
  createdBy: string
}

export class RoleRuleError extends AppError {
  /** The form field the error is about, if one: the refusal is shown next to it. */
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super('invalid_input', message, field ? { fieldErrors: { [field]: message } } : {})
  }
}

/** The role rules of one target (lib/db/target-identity.ts), with the DoR presets the first time. */
export async function listRoleRules(state: StateDb, targetKey: string): Promise<StoredRoleRule[]> {
  await seedDorPresets(state, targetKey)
  const rows = await state.selectFrom('role_rule').selectAll().where('target_key', '=', targetKey).orderBy('table').orderBy('column').execute()
  return rows.map((r) => ({
    id: Number(r.id),
    table: r.table,
    tables: [r.table],
    column: r.column,
    what: r.what,
    allowed: r.allowed,
    createdBy: r.created_by,
  }))
}

/** Adds or replaces the rule for one owner column of `target`, after checking it exists in its live catalog. */
export async function saveRoleRule(
  target: Kysely<any>,
  state: StateDb,
  input: { table: string; column: string; what: string; allowed: string[]; by: string },
): Promise<void> {
  const allowed = [...new Set(input.allowed.map((a) => a.trim().toUpperCase()).filter(Boolean))]
  if (allowed.length === 0) throw new RoleRuleError('Give at least one allowed role.', 'allowed')
  const { rows } = await sql<{ ok: boolean }>`
    select exists (
      select 1 from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
      where c.relname = ${input.table} and a.attname = ${input.column} and a.attnum > 0 and not a.attisdropped
        and c.relkind in ('r', 'p') and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
    ) as ok
  `.execute(target)
  if (!rows[0].ok) throw new RoleRuleError(`There is no table ${input.table} with a column ${input.column}.`, 'column')
  const { key } = await targetIdentity(target)
  // The presets first, as if the settings had been read before: a rule of a preset column replaces it.
  await seedDorPresets(state, key)
  await state
    .insertInto('role_rule')
    .values({ table: input.table, column: input.column, what: input.what.trim(), allowed, created_by: input.by, target_key: key })
    .onConflict((oc) => oc.constraint('role_rule_key').doUpdateSet({ what: input.what.trim(), allowed, created_by: input.by }))
    .execute()
}

/** Deletes a rule of this target only: another target's rule #id is not found. */
export async function deleteRoleRule(state: StateDb, id: number, targetKey: string): Promise<boolean> {
  const r = await state.deleteFrom('role_rule').where('id', '=', id).where('target_key', '=', targetKey).executeTakeFirst()
  return Number(r.numDeletedRows) > 0
}
