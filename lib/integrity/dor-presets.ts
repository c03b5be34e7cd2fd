import type { StateDb } from '../state/state-db'

/** DoR-Dash's two references that have no FOREIGN KEY in production (first inserted by state migration 000004). */
const SOFT_RELATIONS = [
  {
    schema: 'public',
    table: 'agenda_item',
    columns: ['meeting_id'],
    ref_schema: 'public',
    ref_table: 'meeting',
    ref_columns: ['id'],
    note: 'DoR-Dash: agenda items belong to a meeting; production has no foreign key',
  },
  {
    schema: 'public',
    table: 'fileupload',
    columns: ['agenda_item_id'],
    ref_schema: 'public',
    ref_table: 'agenda_item',
    ref_columns: ['id'],
    note: 'DoR-Dash: uploads may belong to an agenda item; the foreign key was missing for weeks',
  },
]

/** Which roles may own which DoR-Dash rows (first inserted by state migration 000006). */
const ROLE_RULES = [
  { table: 'meeting', column: 'created_by', what: 'meetings created', allowed: ['FACULTY', 'SECRETARY', 'ADMIN'] },
  { table: 'registration_request', column: 'processed_by', what: 'registration requests processed', allowed: ['SECRETARY', 'ADMIN', 'FACULTY'] },
]

/**
 * Gives a target the DoR presets the first time its settings are read, once: a preset an admin
 * deleted stays deleted. A target that adopted the rows written before settings had keys
 * (lib/state/adopt-unkeyed.ts) adopted their seed mark too, so it is not seeded twice. Concurrent
 * first reads wait on the mark's unique key; only one inserts.
 */
export async function seedDorPresets(state: StateDb, targetKey: string): Promise<void> {
  const seeded = await state.selectFrom('integrity_preset_seed').select('target_key').where('target_key', '=', targetKey).executeTakeFirst()
  if (seeded) return
  await state.transaction().execute(async (trx) => {
    const mark = await trx
      .insertInto('integrity_preset_seed')
      .values({ target_key: targetKey })
      .onConflict((oc) => oc.column('target_key').doNothing())
      .returning('target_key')
      .executeTakeFirst()
    if (!mark) return
    await trx
      .insertInto('soft_relation')
      .values(SOFT_RELATIONS.map((r) => ({ ...r, status: 'accepted', origin: 'preset', created_by: 'preset', target_key: targetKey })))
      .onConflict((oc) => oc.constraint('soft_relation_key').doNothing())
      .execute()
    await trx
      .insertInto('role_rule')
      .values(ROLE_RULES.map((r) => ({ ...r, created_by: 'preset', target_key: targetKey })))
      .onConflict((oc) => oc.constraint('role_rule_key').doNothing())
      .execute()
  })
}
