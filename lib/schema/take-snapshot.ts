import type { Kysely } from 'kysely'
import { targetIdentity } from '../db/target-identity'
import { AppError } from '../errors'
import { readSchemaModel } from './catalog'
import { type SchemaDiff, diffSnapshots } from './diff'
import { type SchemaSnapshot, toSnapshot } from './snapshot'
import { getSnapshot, type SnapshotMeta, saveSnapshot } from './snapshot-store'
import type { StateDb } from '../state/state-db'

/** Reads the live schema of the target and stores it in the state database. */
export async function takeSnapshot(
  target: Kysely<any>,
  state: StateDb,
  by: { reason: string; takenById?: string | null; takenBy?: string | null },
): Promise<SnapshotMeta> {
  const [model, identity] = await Promise.all([readSchemaModel(target, { sizes: false }), targetIdentity(target)])
  return saveSnapshot(state, { snapshot: toSnapshot(model), database: model.database, targetKey: identity.key, ...by })
}

export async function liveSnapshot(target: Kysely<any>): Promise<SchemaSnapshot> {
  return toSnapshot(await readSchemaModel(target, { sizes: false }))
}

/** 'live' or a stored snapshot id, as pages and the CLI name the two sides of a comparison. */
export type SnapshotRef = number | 'live'

export class UnknownSnapshotError extends AppError {
  constructor(readonly ref: SnapshotRef) {
    super('not_found', `There is no schema snapshot #${ref}.`)
    this.name = 'UnknownSnapshotError'
  }
}

async function resolve(target: Kysely<any>, state: StateDb, ref: SnapshotRef) {
  if (ref === 'live') return { label: 'live schema', snapshot: await liveSnapshot(target) }
  const found = await getSnapshot(state, ref)
  // Another target's snapshot (a state database shared by several) is not this one's to compare.
  if (!found || found.meta.targetKey !== (await targetIdentity(target)).key) throw new UnknownSnapshotError(ref)
  return { label: `snapshot #${ref}`, snapshot: found.snapshot }
}

/** The diff from `from` to `to`, each a stored snapshot or the live schema. */
export async function compareSnapshots(
  target: Kysely<any>,
  state: StateDb,
  from: SnapshotRef,
  to: SnapshotRef,
): Promise<{ from: string; to: string; diff: SchemaDiff }> {
  const [a, b] = await Promise.all([resolve(target, state, from), resolve(target, state, to)])
  return { from: a.label, to: b.label, diff: diffSnapshots(a.snapshot, b.snapshot) }
}

export function parseSnapshotRef(value: string | undefined): SnapshotRef | null {
  if (value === 'live') return 'live'
  if (value && /^\d{1,15}$/.test(value)) return Number(value)
  return null
}
