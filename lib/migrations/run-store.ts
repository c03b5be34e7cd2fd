import { sql } from 'kysely'
import type { TargetIdentity } from '../db/target-identity'
import type { StateDb, StateRow } from '../state/state-db'

export type RunKind =
  | 'apply'
  | 'rollback'
  | 'dry_run'
  | 'rehearsal'
  | 'drift'
  | 'replay'
  | 'baseline'
  | 'alembic_upgrade'
  | 'alembic_downgrade'
  | 'alembic_sql'
  | 'alembic_rehearsal'
  | 'alembic_drift'
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'refused'

export interface RunActor {
  id?: string | null
  /** An e-mail, or 'cli'. */
  label: string
  source: 'dashboard' | 'cli'
}

export interface MigrationStep {
  id: number
  position: number
  name: string
  direction: 'up' | 'down'
  checksum: string | null
  /** 'interrupted' when its run is (the process died in it): the row still says running until the next apply reconciles it. */
  status: 'running' | 'succeeded' | 'failed' | 'interrupted'
  startedAt: Date
  durationMs: number | null
  error: string | null
}

export interface MigrationRun {
  id: number
  kind: RunKind
  /** 'interrupted' when the process died while running (no lock is held for it any more). */
  status: RunStatus | 'interrupted'
  targetDatabase: string
  /** The target's identity key (lib/db/target-identity.ts); null for a row written before keys. */
  targetKey: string | null
  source: 'dashboard' | 'cli'
  startedBy: string
  startedAt: Date
  finishedAt: Date | null
  durationMs: number | null
  requested: unknown
  error: string | null
  report: unknown
  snapshotBeforeId: number | null
  snapshotAfterId: number | null
  backupPath: string | null
  /** The database role the run used (lib/db/session-role.ts); null for runs recorded before it was. */
  dbRole: string | null
  steps: MigrationStep[]
}

export async function createRun(
  db: StateDb,
  input: { kind: RunKind; target: TargetIdentity; actor: RunActor; requested?: unknown; dbRole?: string | null },
): Promise<number> {
  const row = await db
    .insertInto('migration_run')
    .values({
      kind: input.kind,
      status: 'running',
      target_database: input.target.database,
      target_key: input.target.key,
      source: input.actor.source,
      started_by_id: input.actor.id ?? null,
      started_by: input.actor.label,
      requested: input.requested === undefined ? null : JSON.stringify(input.requested),
      db_role: input.dbRole ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return Number(row.id)
}

export async function updateRun(
  db: StateDb,
  id: number,
  values: Partial<{
    status: RunStatus
    error: string | null
    report: unknown
    snapshotBeforeId: number | null
    snapshotAfterId: number | null
    backupPath: string | null
  }>,
): Promise<void> {
  const set: Record<string, unknown> = {}
  if (values.status !== undefined) {
    set.status = values.status
    if (values.status !== 'running') set.finished_at = sql`now()`
  }
  if (values.error !== undefined) set.error = values.error
  if (values.report !== undefined) set.report = JSON.stringify(values.report)
  if (values.snapshotBeforeId !== undefined) set.snapshot_before_id = values.snapshotBeforeId
  if (values.snapshotAfterId !== undefined) set.snapshot_after_id = values.snapshotAfterId
  if (values.backupPath !== undefined) set.backup_path = values.backupPath
  await db.updateTable('migration_run').set(set).where('id', '=', id).execute()
}

export async function startStep(
  db: StateDb,
  input: { runId: number; position: number; name: string; direction: 'up' | 'down'; checksum: string | null },
): Promise<number> {
  const row = await db
    .insertInto('migration_step')
    .values({
      run_id: input.runId,
      position: input.position,
      name: input.name,
      direction: input.direction,
      checksum: input.checksum,
      status: 'running',
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return Number(row.id)
}

export async function finishStep(db: StateDb, id: number, result: { ok: boolean; error?: string }): Promise<void> {
  await db
    .updateTable('migration_step')
    .set({
      status: result.ok ? 'succeeded' : 'failed',
      error: result.error ?? null,
      duration_ms: sql`(extract(epoch from clock_timestamp() - started_at) * 1000)::int`,
    })
    .where('id', '=', id)
    .execute()
}

function toStep(r: StateRow<'migration_step'>): MigrationStep {
  return {
    id: Number(r.id),
    position: r.position,
    name: r.name,
    direction: r.direction as MigrationStep['direction'],
    checksum: r.checksum,
    status: r.status as MigrationStep['status'],
    startedAt: r.started_at,
    durationMs: r.duration_ms,
    error: r.error,
  }
}

/** Runs newest first with their steps. `lockHeld` tells a live run from one whose process died. */
export async function listRuns(
  db: StateDb,
  opts: { targetKey: string; limit?: number; beforeId?: number; lockHeld?: boolean },
): Promise<MigrationRun[]> {
  let q = db
    .selectFrom('migration_run')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(Math.min(Math.max(opts.limit ?? 50, 1), 500))
    .where('target_key', '=', opts.targetKey)
  if (opts.beforeId) q = q.where('id', '<', opts.beforeId)
  const runs = await q.execute()
  if (runs.length === 0) return []
  const steps = await db
    .selectFrom('migration_step')
    .selectAll()
    .where(
      'run_id',
      'in',
      runs.map((r) => r.id),
    )
    .orderBy('run_id')
    .orderBy('position')
    .execute()
  const newestRunning = runs.find((r) => r.status === 'running')?.id
  const interrupted = (r: (typeof runs)[number]) => r.status === 'running' && (opts.lockHeld === false || r.id !== newestRunning)
  return runs.map((r): MigrationRun => ({
    id: Number(r.id),
    kind: r.kind as RunKind,
    status: interrupted(r) ? 'interrupted' : (r.status as RunStatus),
    targetDatabase: r.target_database,
    targetKey: r.target_key,
    source: r.source as MigrationRun['source'],
    startedBy: r.started_by,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    durationMs: r.finished_at ? new Date(r.finished_at).getTime() - new Date(r.started_at).getTime() : null,
    requested: r.requested,
    error: r.error,
    report: r.report,
    snapshotBeforeId: r.snapshot_before_id === null ? null : Number(r.snapshot_before_id),
    snapshotAfterId: r.snapshot_after_id === null ? null : Number(r.snapshot_after_id),
    backupPath: r.backup_path,
    dbRole: r.db_role ?? null,
    steps: steps
      .filter((s) => s.run_id === r.id)
      .map(toStep)
      .map((s) => (s.status === 'running' && interrupted(r) ? { ...s, status: 'interrupted' } : s)),
  }))
}

export interface LastApply {
  name: string
  checksum: string | null
  by: string
  at: Date
  durationMs: number | null
  /** Recorded by a baseline: the schema was there already, nothing ran. */
  baseline: boolean
}

/**
 * For each migration name, the newest successful step recorded by the dashboard or its CLI on
 * this database: an 'up' tells who applied (or baselined) it with which checksum; a newer 'down' cancels it.
 */
export async function lastApplies(db: StateDb, targetKey: string): Promise<Map<string, LastApply>> {
  const rows = await db
    .selectFrom('migration_step as s')
    .innerJoin('migration_run as r', 'r.id', 's.run_id')
    .select(['s.name', 's.direction', 's.checksum', 's.started_at', 's.duration_ms', 'r.started_by', 'r.kind'])
    .distinctOn('s.name')
    .where('r.target_key', '=', targetKey)
    .where('r.kind', 'in', ['apply', 'rollback', 'baseline'])
    .where('s.status', '=', 'succeeded')
    .orderBy('s.name')
    .orderBy('s.id', 'desc')
    .execute()
  const out = new Map<string, LastApply>()
  for (const r of rows) {
    if (r.direction === 'up') {
      out.set(r.name, {
        name: r.name,
        checksum: r.checksum,
        by: r.started_by,
        at: r.started_at,
        durationMs: r.kind === 'baseline' ? null : r.duration_ms,
        baseline: r.kind === 'baseline',
      })
    }
  }
  return out
}

export async function acknowledgedChecksums(db: StateDb, targetKey: string): Promise<Set<string>> {
  const rows = await db.selectFrom('migration_ack').select(['name', 'checksum']).where('target_key', '=', targetKey).execute()
  return new Set(rows.map((r) => `${r.name}\n${r.checksum}`))
}

export async function acknowledgeEdit(
  db: StateDb,
  input: { target: TargetIdentity; name: string; checksum: string; by: RunActor; note?: string },
): Promise<void> {
  await db
    .insertInto('migration_ack')
    .values({
      target_database: input.target.database,
      target_key: input.target.key,
      name: input.name,
      checksum: input.checksum,
      acknowledged_by_id: input.by.id ?? null,
      acknowledged_by: input.by.label,
      note: input.note ?? null,
    })
    .onConflict((oc) => oc.columns(['target_key', 'name', 'checksum']).doNothing())
    .execute()
}
