import { type SchemaSnapshot, type SnapshotSummary, snapshotFingerprint, summarizeSnapshot } from './snapshot'
import type { StateDb, StateRow } from '../state/state-db'

export interface SnapshotMeta {
  id: number
  takenAt: Date
  takenById: string | null
  /** An e-mail, 'cli' or 'migration run'. */
  takenBy: string | null
  /** 'manual', 'before migration run', 'after migration run', or free text. */
  reason: string
  database: string
  /** The target's identity key (lib/db/target-identity.ts); null for a snapshot taken before keys. */
  targetKey: string | null
  fingerprint: string
  summary: SnapshotSummary
}

export interface SaveSnapshotInput {
  snapshot: SchemaSnapshot
  database: string
  targetKey: string
  reason: string
  takenById?: string | null
  takenBy?: string | null
}

export interface ListSnapshotsOptions {
  /** Only snapshots of this target (its identity key). */
  targetKey: string
  /** Keyset pagination: snapshots with an id below this one. */
  beforeId?: number
  limit?: number
}

const META_COLUMNS = ['id', 'taken_at', 'taken_by_id', 'taken_by', 'reason', 'database', 'target_key', 'fingerprint', 'summary'] as const

function toMeta(r: Pick<StateRow<'schema_snapshot'>, (typeof META_COLUMNS)[number]>): SnapshotMeta {
  return {
    // bigserial: a string unless the int8 parser of lib/db/connect is installed.
    id: Number(r.id),
    takenAt: r.taken_at,
    takenById: r.taken_by_id,
    takenBy: r.taken_by,
    reason: r.reason,
    database: r.database,
    targetKey: r.target_key,
    fingerprint: r.fingerprint,
    summary: r.summary as unknown as SnapshotSummary,
  }
}

/** Stores a snapshot with its fingerprint and counts, computed here so they always match the body. */
export async function saveSnapshot(db: StateDb, input: SaveSnapshotInput): Promise<SnapshotMeta> {
  const row = await db
    .insertInto('schema_snapshot')
    .values({
      taken_by_id: input.takenById ?? null,
      taken_by: input.takenBy ?? null,
      reason: input.reason,
      database: input.database,
      target_key: input.targetKey,
      fingerprint: snapshotFingerprint(input.snapshot),
      summary: JSON.stringify(summarizeSnapshot(input.snapshot)),
      snapshot: JSON.stringify(input.snapshot),
    })
    .returning(META_COLUMNS)
    .executeTakeFirstOrThrow()
  return toMeta(row)
}

/** Newest first, without the snapshot bodies. */
export async function listSnapshots(db: StateDb, opts: ListSnapshotsOptions): Promise<SnapshotMeta[]> {
  // id, not taken_at: ids follow insertion order even when two snapshots share a timestamp.
  let query = db
    .selectFrom('schema_snapshot')
    .select(META_COLUMNS)
    .orderBy('id', 'desc')
    .limit(Math.min(Math.max(opts.limit ?? 50, 1), 500))
    .where('target_key', '=', opts.targetKey)
  if (opts.beforeId !== undefined) query = query.where('id', '<', opts.beforeId)
  const rows = await query.execute()
  return rows.map(toMeta)
}

export async function getSnapshot(db: StateDb, id: number): Promise<{ meta: SnapshotMeta; snapshot: SchemaSnapshot } | null> {
  // An id from a URL may be anything; only a bigint can match, and anything else must not become a SQL error.
  if (!Number.isSafeInteger(id) || id < 1) return null
  const row = await db
    .selectFrom('schema_snapshot')
    .select([...META_COLUMNS, 'snapshot'])
    .where('id', '=', id)
    .executeTakeFirst()
  if (!row) return null
  const snapshot = row.snapshot as unknown as SchemaSnapshot | null
  if (snapshot?.version !== 1) throw new Error(`Schema snapshot ${id} has unsupported version ${String(snapshot?.version)}`)
  return { meta: toMeta(row), snapshot }
}
