import type { Kysely } from 'kysely'
import { fullDbError } from '../db/db-errors'
import { targetIdentity } from '../db/target-identity'
import { readSchemaModel } from '../schema/catalog'
import { diffSnapshots, type SchemaChange } from '../schema/diff'
import { toSnapshot } from '../schema/snapshot'
import { readApplied } from './applied'
import { BOOKKEEPING } from './bookkeeping'
import { assertChainAdopted } from './management'
import { migratorFor } from './rehearsal'
import type { MigrationSet } from './registry'
import { createRun, type RunActor, updateRun } from './run-store'
import { createScratchDatabase } from './scratch-database'
import { migrationStatus } from './status'
import type { StateDb } from '../state/state-db'

export interface ReplayResult {
  runId: number
  ok: boolean
  applied: string[]
  failed: { name: string; error: string } | null
  message: string
}

export interface DriftResult {
  runId: number
  /** The applied chain could be replayed, so the comparison means something. */
  comparable: boolean
  replay: { applied: string[]; failed: { name: string; error: string } | null }
  /** From the schema the applied migrations produce to the live schema: what was changed by hand. */
  changes: SchemaChange[]
  message: string
}


interface Options {
  targetUrl: string
  target: Kysely<any>
  state: StateDb
  set: MigrationSet
  actor: RunActor
}

/** Applies `names` in order to an empty scratch database, one at a time, stopping at the first failure. */
export async function replayInto(db: Kysely<any>, set: MigrationSet, names: string[]) {
  const m = migratorFor(db, set)
  const applied: string[] = []
  for (const name of names) {
    const { error } = await m.migrateTo(name)
    if (error) return { applied, failed: { name, error: fullDbError(error) } }
    applied.push(name)
  }
  return { applied, failed: null }
}

/**
 * Replay check: the whole chain on an empty scratch database, reporting the first migration that
 * fails (DoR-Dash's real chain cannot rebuild its database from empty).
 */
export async function replayCheck(opts: Options): Promise<ReplayResult> {
  const names = opts.set.defs.map((d) => d.name)
  const runId = await createRun(opts.state, {
    kind: 'replay',
    target: await targetIdentity(opts.target),
    actor: opts.actor,
    requested: { chain: names.length },
  })
  const scratch = await createScratchDatabase(opts.targetUrl, 'replay').catch(async (e) => {
    await updateRun(opts.state, runId, { status: 'failed', error: (e as Error).message })
    throw e
  })
  try {
    const r = await replayInto(scratch.db, opts.set, names)
    const message = r.failed
      ? `The chain cannot be replayed from empty: ${r.failed.name} fails after ${r.applied.length} migration${r.applied.length === 1 ? '' : 's'}.`
      : `All ${names.length} migrations replay on an empty database.`
    await updateRun(opts.state, runId, { status: r.failed ? 'failed' : 'succeeded', report: r, error: r.failed ? message : null })
    return { runId, ok: !r.failed, ...r, message }
  } finally {
    await scratch.drop()
  }
}

/**
 * Schema drift: replays the migrations the target has applied on a scratch database and diffs
 * that schema with the live one. What the diff shows was done outside the migrations.
 */
export async function detectDrift(opts: Options): Promise<DriftResult> {
  assertChainAdopted((await migrationStatus(opts.target, opts.state, opts.set)).management)
  const known = new Set(opts.set.defs.map((d) => d.name))
  const applied = (await readApplied(opts.target, opts.set.table)).map((a) => a.name).filter((n) => known.has(n))
  const runId = await createRun(opts.state, {
    kind: 'drift',
    target: await targetIdentity(opts.target),
    actor: opts.actor,
    requested: { applied: applied.length },
  })
  const scratch = await createScratchDatabase(opts.targetUrl, 'drift').catch(async (e) => {
    await updateRun(opts.state, runId, { status: 'failed', error: (e as Error).message })
    throw e
  })
  try {
    const replay = await replayInto(scratch.db, opts.set, applied)
    let changes: SchemaChange[] = []
    if (!replay.failed) {
      const [expected, live] = await Promise.all([readSchemaModel(scratch.db, { sizes: false }), readSchemaModel(opts.target, { sizes: false })])
      changes = diffSnapshots(toSnapshot(expected), toSnapshot(live)).changes.filter(
        (c) => !BOOKKEEPING.has(c.table ?? (c.object === 'table' ? c.name : '')) && c.table !== opts.set.table && c.table !== opts.set.lockTable,
      )
    }
    const message = replay.failed
      ? `Drift cannot be computed: the applied migrations do not replay (${replay.failed.name} fails).`
      : changes.length === 0
        ? 'No drift: the live schema is exactly what the applied migrations produce.'
        : `${changes.length} difference${changes.length === 1 ? '' : 's'} between the applied migrations and the live schema.`
    await updateRun(opts.state, runId, {
      status: replay.failed ? 'failed' : 'succeeded',
      report: { replay, changes },
      error: replay.failed ? message : null,
    })
    return { runId, comparable: !replay.failed, replay, changes, message }
  } finally {
    await scratch.drop()
  }
}
