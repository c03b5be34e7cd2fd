import type { Kysely } from 'kysely'
import { ActionError } from '../auth/action-result'
import type { MigrationSet } from './registry'
import { acknowledgeEdit, type RunActor } from './run-store'
import { migrationStatus } from './status'
import type { StateDb } from '../state/state-db'

/**
 * Records that an admin accepts the edit of an applied migration (its current checksum), so it
 * no longer blocks apply. The page's action and `dbadmin migrate acknowledge` both call this.
 */
export async function acknowledgeMigrationEdit(
  target: Kysely<any>,
  state: StateDb,
  set: MigrationSet,
  input: { name: string; by: RunActor; note?: string },
): Promise<{ name: string; checksum: string; message: string }> {
  const status = await migrationStatus(target, state, set)
  const m = status.migrations.find((x) => x.name === input.name)
  if (!m) throw new ActionError('not_found', `There is no migration named ${input.name}.`)
  if (m.state !== 'applied' || !m.flags.some((f) => f.code === 'edited_after_apply') || !m.checksum) {
    throw new ActionError('conflict', `${input.name} is not an applied migration with an unacknowledged edit.`)
  }
  await acknowledgeEdit(state, { target: status.target, name: m.name, checksum: m.checksum, by: input.by, note: input.note })
  const others = status.blockingEdits.filter((n) => n !== m.name)
  return {
    name: m.name,
    checksum: m.checksum,
    message: `Acknowledged the edit of ${m.name} (checksum ${m.checksum.slice(0, 12)}).${
      others.length ? ` Apply is still blocked by ${others.join(', ')}.` : ' It no longer blocks apply.'
    }`,
  }
}
