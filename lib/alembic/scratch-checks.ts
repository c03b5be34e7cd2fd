import { randomBytes } from 'node:crypto'
import { type Kysely, sql } from 'kysely'
import { ActionError } from '../auth/action-result'
import { targetIdentity } from '../db/target-identity'
import { withoutBookkeeping } from '../migrations/bookkeeping'
import { createRun, type RunActor, updateRun } from '../migrations/run-store'
import { copySchema, createScratchDatabase, type ScratchDatabase } from '../migrations/scratch-database'
import { readSchemaModel } from '../schema/catalog'
import { diffSnapshots, type SchemaChange } from '../schema/diff'
import { type SchemaSnapshot, toSnapshot } from '../schema/snapshot'
import type { StateDb } from '../state/state-db'
import { alembicError, loggedSteps, stepRevision } from './output'
import { type AlembicProcessResult, runAlembicProcess } from './process'
import { checkRevision, keptOutput } from './run'
import type { AlembicSettings } from './settings'
import { describeRevisions, readAlembicVersion } from './version-table'

export interface AlembicCheckOptions {
  settings: AlembicSettings
  targetUrl: string
  target: Kysely<any>
  state: StateDb
  actor: RunActor
  pgBinDir: string
}

/** How long the probe may take: it only asks Alembic for the current revision. */
const PROBE_TIMEOUT_MS = 120_000

/**
 * Whether the command really works on the DATABASE_URL it is given: pointed at a scratch database
 * holding a made-up revision, `alembic current` must name that revision (or fail to locate it).
 * An env.py that reads its own settings, or a command run over ssh, reports the real database
 * instead: a rehearsal would then run on the real database. Returns why not, or null.
 */
export async function probeHonoursDatabaseUrl(settings: AlembicSettings, scratch: ScratchDatabase): Promise<string | null> {
  const marker = `dbadmin_probe_${randomBytes(4).toString('hex')}`
  await sql`create table alembic_version (version_num varchar(32) not null primary key)`.execute(scratch.db)
  await sql`insert into alembic_version values (${marker})`.execute(scratch.db)
  let proc: AlembicProcessResult
  try {
    proc = await runAlembicProcess(settings, scratch.url, ['current'], { timeoutMs: Math.min(settings.timeoutMs, PROBE_TIMEOUT_MS) })
  } finally {
    await sql`drop table alembic_version`.execute(scratch.db)
  }
  if (`${proc.stdout}\n${proc.stderr}`.includes(marker)) return null
  return (
    'ALEMBIC_COMMAND does not use the DATABASE_URL the dashboard gives it: pointed at a scratch database, `alembic current` did not report that database' +
    (proc.ok ? '' : ` (${alembicError(proc.stderr, proc.stdout).split('\n')[0]})`) +
    '. Its env.py probably reads its own settings, or the command runs on another machine; a rehearsal would run on the real database, so none is run. Make env.py read DATABASE_URL to rehearse.'
  )
}

async function snap(db: Kysely<any>): Promise<SchemaSnapshot> {
  return toSnapshot(await readSchemaModel(db, { sizes: false }))
}

export interface AlembicRehearsalStep {
  step: 'upgrade' | 'downgrade' | 'upgrade again'
  ok: boolean
  /** alembic_version of the scratch database after the step. */
  revisionAfter: string[] | null
  error?: string
}

export interface AlembicRehearsalResult {
  runId: number
  ok: boolean
  /** False when the command cannot be pointed at a scratch database (see `reason`). */
  possible: boolean
  reason: string | null
  from: string[]
  to: string
  steps: AlembicRehearsalStep[]
  /** The downgrade restored the schema exactly as before the upgrade. */
  downRestores: boolean | null
  /** Upgrading again produced the same schema as the first upgrade. */
  upRepeats: boolean | null
  downDiff: SchemaChange[]
  upAgainDiff: SchemaChange[]
  message: string
}

/**
 * The runbook's "test every change on a development copy first", for the team's Alembic: on a
 * scratch copy of the target's schema (pg_dump --schema-only, with its alembic_version), upgrade
 * to `revision`, downgrade back to where the target is, and upgrade again, comparing schema
 * snapshots. The target is never touched; the scratch database is always dropped.
 */
export async function alembicRehearsal(opts: AlembicCheckOptions, revision = 'head'): Promise<AlembicRehearsalResult> {
  checkRevision(revision)
  const current = (await readAlembicVersion(opts.target)) ?? []
  if (current.length > 1) {
    throw new ActionError('conflict', `The database is at several heads (${current.join(', ')}): a rehearsal could not downgrade back to one revision. Merge the heads first.`)
  }
  const back = current[0] ?? 'base'
  const runId = await createRun(opts.state, {
    kind: 'alembic_rehearsal',
    target: await targetIdentity(opts.target),
    actor: opts.actor,
    requested: { revision, from: current },
  })
  const base = { runId, from: current, to: revision, steps: [] as AlembicRehearsalStep[], downRestores: null, upRepeats: null, downDiff: [], upAgainDiff: [] }
  let scratch: ScratchDatabase | null = null
  try {
    scratch = await createScratchDatabase(opts.targetUrl, 'alembic_rehearsal')
    const reason = await probeHonoursDatabaseUrl(opts.settings, scratch)
    if (reason) {
      await updateRun(opts.state, runId, { status: 'refused', error: reason })
      return { ...base, ok: false, possible: false, reason, message: `Cannot rehearse: ${reason}` }
    }
    await copySchema(opts.targetUrl, scratch, opts.pgBinDir, 'alembic_version')
    const s = scratch
    const steps: AlembicRehearsalStep[] = []
    const outputs: string[] = []
    const step = async (name: AlembicRehearsalStep['step'], args: string[]) => {
      const proc = await runAlembicProcess(opts.settings, s.url, args)
      outputs.push(`$ alembic ${args.join(' ')}\n${proc.stderr}${proc.stdout}`)
      const entry: AlembicRehearsalStep = { step: name, ok: proc.ok, revisionAfter: await readAlembicVersion(s.db) }
      if (!proc.ok) entry.error = alembicError(proc.stderr, proc.stdout)
      steps.push(entry)
      // The probe said the command follows DATABASE_URL; should the target move anyway, stop at once.
      const target = (await readAlembicVersion(opts.target)) ?? []
      if (describeRevisions(target) !== describeRevisions(current)) {
        throw new Error(`The target's alembic_version changed during the rehearsal (now ${describeRevisions(target)}): stopped.`)
      }
      return proc.ok
    }
    const s0 = await snap(s.db)
    let downDiff: SchemaChange[] = []
    let upAgainDiff: SchemaChange[] = []
    let downRestores: boolean | null = null
    let upRepeats: boolean | null = null
    let nothing = false
    if (await step('upgrade', ['upgrade', revision])) {
      const s1 = await snap(s.db)
      nothing = describeRevisions(steps[0].revisionAfter) === describeRevisions(current)
      if (!nothing && (await step('downgrade', ['downgrade', back]))) {
        downDiff = withoutBookkeeping(diffSnapshots(s0, await snap(s.db)).changes)
        downRestores = downDiff.length === 0
        if (await step('upgrade again', ['upgrade', revision])) {
          upAgainDiff = withoutBookkeeping(diffSnapshots(s1, await snap(s.db)).changes)
          upRepeats = upAgainDiff.length === 0
        }
      }
    }
    const failed = steps.find((x) => !x.ok)
    const ok = !failed && (nothing || (downRestores === true && upRepeats === true))
    const problems = [
      downRestores === false ? `the downgrade to ${back} leaves ${downDiff.length} difference${downDiff.length === 1 ? '' : 's'}` : '',
      failed ? `the ${failed.step} failed on the scratch copy: ${failed.error?.split('\n')[0]}` : '',
      upRepeats === false ? `upgrading again differs in ${upAgainDiff.length} place${upAgainDiff.length === 1 ? '' : 's'}` : '',
    ].filter(Boolean)
    const message = nothing
      ? `Nothing to rehearse: the database is already at ${revision}.`
      : ok
        ? `Rehearsed upgrade to ${revision}, downgrade to ${back} and upgrade again on a scratch copy: the downgrade restores the schema and the upgrade repeats.`
        : `Rehearsal found problems: ${problems.join('; ')}.`
    await updateRun(opts.state, runId, {
      status: ok ? 'succeeded' : 'failed',
      error: ok ? null : message,
      report: { steps, downRestores, upRepeats, downDiff, upAgainDiff, output: keptOutput(outputs.join('\n')) },
    })
    return { ...base, ok, possible: true, reason: null, steps, downRestores, upRepeats, downDiff, upAgainDiff, message }
  } catch (e) {
    await updateRun(opts.state, runId, { status: 'failed', error: (e as Error).message }).catch(() => {})
    throw e
  } finally {
    await scratch?.drop()
  }
}

export interface AlembicDriftResult {
  runId: number
  /** The chain replayed up to where the target is, so the comparison means something. */
  comparable: boolean
  possible: boolean
  reason: string | null
  /** The target's revisions, replayed from empty. */
  replayedTo: string[]
  /** Revisions the replay got through before it broke (or all of them). */
  applied: string[]
  /** Where a replay from empty breaks: the revision (null when it broke before any) and Alembic's error. */
  failed: { revision: string | null; error: string } | null
  /** From what the chain builds to the live schema: what was changed outside Alembic. */
  changes: SchemaChange[]
  message: string
}

/**
 * Drift for the team's Alembic: the chain replayed from empty on a scratch database up to where
 * the target is, compared with the live schema. Real chains often cannot replay from empty (tables
 * made by hand, a type created twice): that is reported with the revision and Alembic's error.
 */
export async function alembicDrift(opts: AlembicCheckOptions): Promise<AlembicDriftResult> {
  const current = await readAlembicVersion(opts.target)
  if (current === null) throw new ActionError('conflict', 'The database has no alembic_version table: there is no Alembic revision to replay.')
  const runId = await createRun(opts.state, {
    kind: 'alembic_drift',
    target: await targetIdentity(opts.target),
    actor: opts.actor,
    requested: { replayTo: current },
  })
  const base = { runId, replayedTo: current, applied: [] as string[], failed: null, changes: [] as SchemaChange[] }
  let scratch: ScratchDatabase | null = null
  try {
    scratch = await createScratchDatabase(opts.targetUrl, 'alembic_drift')
    const reason = await probeHonoursDatabaseUrl(opts.settings, scratch)
    if (reason) {
      await updateRun(opts.state, runId, { status: 'refused', error: reason })
      return { ...base, comparable: false, possible: false, reason, message: `Cannot check drift: ${reason}` }
    }
    const applied: string[] = []
    const outputs: string[] = []
    let failed: AlembicDriftResult['failed'] = null
    for (const rev of current) {
      const proc = await runAlembicProcess(opts.settings, scratch.url, ['upgrade', rev])
      outputs.push(`$ alembic upgrade ${rev}\n${proc.stderr}${proc.stdout}`)
      const steps = loggedSteps(`${proc.stderr}\n${proc.stdout}`)
      if (proc.ok) {
        applied.push(...steps.map(stepRevision))
        continue
      }
      // The last revision Alembic announced is the one that broke.
      const last = steps.at(-1)
      applied.push(...steps.slice(0, -1).map(stepRevision))
      failed = { revision: last ? stepRevision(last) : null, error: alembicError(proc.stderr, proc.stdout) }
      break
    }
    let changes: SchemaChange[] = []
    if (!failed) {
      const [expected, live] = await Promise.all([snap(scratch.db), snap(opts.target)])
      changes = withoutBookkeeping(diffSnapshots(expected, live).changes)
    }
    const message = failed
      ? `Drift cannot be computed: the Alembic chain does not replay from empty${failed.revision ? `; revision ${failed.revision} fails` : ''} after ${applied.length} revision${applied.length === 1 ? '' : 's'}: ${failed.error.split('\n')[0]}`
      : changes.length === 0
        ? `No drift: the live schema is exactly what the Alembic chain builds up to ${describeRevisions(current)}.`
        : `${changes.length} difference${changes.length === 1 ? '' : 's'} between what the Alembic chain builds up to ${describeRevisions(current)} and the live schema.`
    await updateRun(opts.state, runId, {
      status: failed ? 'failed' : 'succeeded',
      error: failed ? message : null,
      report: { replayedTo: current, applied, failed, changes, output: keptOutput(outputs.join('\n')) },
    })
    return { ...base, comparable: !failed, possible: true, reason: null, applied, failed, changes, message }
  } catch (e) {
    await updateRun(opts.state, runId, { status: 'failed', error: (e as Error).message }).catch(() => {})
    throw e
  } finally {
    await scratch?.drop()
  }
}
