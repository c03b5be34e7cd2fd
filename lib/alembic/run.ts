import type { Kysely } from 'kysely'
import { ActionError } from '../auth/action-result'
import { createDb } from '../db/connect'
import { roleOf } from '../db/session-role'
import { type TargetIdentity, targetIdentity } from '../db/target-identity'
import { describeChange, withoutBookkeeping } from '../migrations/bookkeeping'
import { withRunLock } from '../migrations/run-lock'
import { createRun, type RunActor, updateRun } from '../migrations/run-store'
import { readSchemaModel } from '../schema/catalog'
import { diffSnapshots, type SchemaChange } from '../schema/diff'
import { type SchemaSnapshot, toSnapshot } from '../schema/snapshot'
import { saveSnapshot } from '../schema/snapshot-store'
import type { StateDb } from '../state/state-db'
import { alembicError, loggedSteps, REVISION_PATTERN, stepRevision } from './output'
import { runAlembicProcess } from './process'
import { type AlembicSettings, alembicVersionsDir } from './settings'
import { alembicStatus, ancestors } from './status'
import { describeRevisions, readAlembicVersion } from './version-table'

export interface AlembicRunOptions {
  settings: AlembicSettings
  targetUrl: string
  state: StateDb
  actor: RunActor
  lockTimeoutMs: number
  statementTimeoutMs: number
  /** Schema snapshots before and after (default on). */
  snapshots?: boolean
  /**
   * Called once the run is recorded and before Alembic starts (a backup); returns what to link in
   * the history. Throwing stops the run before Alembic runs.
   */
  beforeRun?: (runId: number) => Promise<string | null>
  /** Stops the run: Alembic's statements are cancelled on the server, then its process is ended. */
  signal?: AbortSignal
  /** Called once the run is recorded (its job links to it). */
  onRecorded?: (runId: number) => Promise<void>
  /** Each line Alembic prints, as it comes (password masked): a job's progress. */
  onOutput?: (line: string) => void
}

export interface AlembicStepOutcome {
  /** The revision applied (upgrade) or undone (downgrade). */
  revision: string
  direction: 'up' | 'down'
  message: string | null
  ok: boolean
  error?: string
}

export interface AlembicRunResult {
  runId: number
  ok: boolean
  command: 'upgrade' | 'downgrade'
  revision: string
  /** alembic_version before and after, read through the dashboard's own connection. */
  before: string[] | null
  after: string[] | null
  steps: AlembicStepOutcome[]
  stdout: string
  stderr: string
  /** Alembic's error as a person reads it, when it failed. */
  error: string | null
  /** Schema changes from before to after, when snapshots were taken. */
  changes: SchemaChange[]
  snapshotBeforeId: number | null
  snapshotAfterId: number | null
  message: string
}

/** The output kept in the history: its end, where the error is. */
const KEPT_OUTPUT = 64 * 1024

export function keptOutput(text: string): string {
  return text.length > KEPT_OUTPUT ? `[… ${text.length - KEPT_OUTPUT} characters cut …]\n${text.slice(-KEPT_OUTPUT)}` : text
}

export function multipleHeadsAdvice(heads: string[]): string {
  return (
    `Alembic has ${heads.length} heads (${heads.join(', ')}): parallel work that was never merged, and \`alembic upgrade head\` fails on it. ` +
    'Merge them in the code (`alembic merge heads -m "merge"`), commit and deploy the merge revision, then upgrade.'
  )
}

export function checkRevision(revision: string): void {
  if (!REVISION_PATTERN.test(revision)) {
    throw new ActionError('invalid_input', `"${revision.slice(0, 100)}" is not an Alembic revision (head, base, an id, -1, +2, branch@head).`)
  }
}

async function snapshotOf(db: Kysely<any>): Promise<{ snapshot: SchemaSnapshot; database: string }> {
  const model = await readSchemaModel(db, { sizes: false })
  return { snapshot: toSnapshot(model), database: model.database }
}

/** Cancels the statements of Alembic's sessions (they carry the run's application_name). */
export function cancelSessions(client: { query: (text: string, values: unknown[]) => Promise<unknown> }, applicationName: string) {
  return async () => {
    await client
      .query(
        'select pg_cancel_backend(pid) from pg_stat_activity where application_name = $1 and datname = current_database() and pid <> pg_backend_pid()',
        [applicationName],
      )
      .catch(() => {})
  }
}

/** Which logged steps really hold, judged by alembic_version after the run. */
function outcomes(
  logged: ReturnType<typeof loggedSteps>,
  ok: boolean,
  error: string | null,
  applied: Set<string> | null,
  moved: boolean,
): AlembicStepOutcome[] {
  return logged.map((s, i) => {
    const revision = stepRevision(s)
    const direction = s.direction === 'upgrade' ? 'up' : 'down'
    const last = i === logged.length - 1
    let held: boolean
    if (ok) held = true
    else if (applied) {
      const ids = s.direction === 'upgrade' ? s.to : s.from
      held = ids.length > 0 && ids.every((id) => (s.direction === 'upgrade' ? applied.has(id) : !applied.has(id)))
    } else held = !last && moved
    return {
      revision: revision || '(base)',
      direction,
      message: s.message,
      ok: held,
      ...(held ? {} : { error: last ? (error ?? 'failed') : 'rolled back with the failing revision (one transaction)' }),
    }
  })
}

async function recordSteps(state: StateDb, runId: number, steps: AlembicStepOutcome[]) {
  if (steps.length === 0) return
  await state
    .insertInto('migration_step')
    .values(
      steps.map((s, position) => ({
        run_id: runId,
        position,
        name: s.message ? `${s.revision} ${s.message}` : s.revision,
        direction: s.direction,
        checksum: null,
        status: s.ok ? 'succeeded' : 'failed',
        error: s.error ?? null,
      })),
    )
    .execute()
}

/**
 * Runs `alembic upgrade|downgrade REV` under the same per-database run lock as the DoR chain: the
 * run is recorded, a backup hook and schema snapshots come before and after, Alembic's output is
 * captured, and alembic_version is read through our own connection afterwards to say where the
 * database really is. Upgrade is refused while the revision files have several heads.
 */
async function runAlembicCommand(opts: AlembicRunOptions, command: 'upgrade' | 'downgrade', revision: string): Promise<AlembicRunResult> {
  checkRevision(revision)
  return withRunLock(opts.targetUrl, opts.actor.label, async (lock) => {
    const db = createDb(opts.targetUrl, { max: 3, applicationName: 'dbadmin alembic', statementTimeoutMs: opts.statementTimeoutMs })
    let runId: number | null = null
    try {
      const identity: TargetIdentity = await targetIdentity(db)
      const status = await alembicStatus(db, alembicVersionsDir(opts.settings))
      if (command === 'upgrade' && status.heads.length > 1) throw new ActionError('conflict', multipleHeadsAdvice(status.heads))
      runId = await createRun(opts.state, {
        kind: command === 'upgrade' ? 'alembic_upgrade' : 'alembic_downgrade',
        target: identity,
        actor: opts.actor,
        requested: { command, revision, alembic: opts.settings.command, dir: opts.settings.dir },
        dbRole: await roleOf(db),
      })
      const id = runId
      await opts.onRecorded?.(id)
      const by = { takenById: opts.actor.id ?? null, takenBy: opts.actor.label, targetKey: identity.key }
      let before: Awaited<ReturnType<typeof snapshotOf>> | null = null
      let snapshotBeforeId: number | null = null
      if (opts.snapshots !== false) {
        before = await snapshotOf(db)
        snapshotBeforeId = (await saveSnapshot(opts.state, { ...before, ...by, reason: `before Alembic ${command} run #${id}` })).id
        await updateRun(opts.state, id, { snapshotBeforeId })
      }
      if (opts.beforeRun) await updateRun(opts.state, id, { backupPath: await opts.beforeRun(id) })
      const versionBefore = await readAlembicVersion(db)

      const applicationName = lock.sessionName('migrate')
      const proc = await runAlembicProcess(opts.settings, opts.targetUrl, [command, revision], {
        signal: opts.signal,
        applicationName,
        timeouts: { lockTimeoutMs: opts.lockTimeoutMs, statementTimeoutMs: opts.statementTimeoutMs },
        onStop: cancelSessions(lock.client, applicationName),
        onLine: opts.onOutput,
      })
      // Whatever Alembic printed, this is where the database is.
      const after = await readAlembicVersion(db)
      const error = proc.ok ? null : (proc.cancelled ? `Cancelled: ${proc.cancelled}.\n` : '') + alembicError(proc.stderr, proc.stdout)
      const known = status.graph ? new Set(status.graph.revisions.map((r) => r.revision)) : undefined
      const moved = describeRevisions(after) !== describeRevisions(versionBefore)
      const steps = outcomes(
        loggedSteps(`${proc.stderr}\n${proc.stdout}`, known),
        proc.ok,
        error,
        status.graph && after ? ancestors(status.graph, after) : null,
        moved,
      )

      let snapshotAfterId: number | null = null
      let changes: SchemaChange[] = []
      if (before) {
        const read = await snapshotOf(db).catch(() => null)
        if (read) {
          snapshotAfterId = (await saveSnapshot(opts.state, { ...read, ...by, reason: `after Alembic ${command} run #${id}` })).id
          changes = withoutBookkeeping(diffSnapshots(before.snapshot, read.snapshot).changes)
        }
      }
      await recordSteps(opts.state, id, steps)
      const at = `The database is at ${describeRevisions(after)} (read from alembic_version after the run).`
      const done = steps.filter((s) => s.ok).length
      const ran = `${done} revision${done === 1 ? '' : 's'} ${command === 'upgrade' ? 'applied' : 'undone'}`
      const message = proc.ok
        ? `Alembic ${command} to ${revision}: ${done ? ran : 'nothing to do'}. ${at}`
        : `Alembic ${command} to ${revision} failed${done ? ` (${ran} before it)` : ''}: ${error!.split('\n')[0]} ${at}`
      await updateRun(opts.state, id, {
        status: proc.ok ? 'succeeded' : 'failed',
        error: proc.ok ? null : `${error}\n${at}`,
        report: {
          command,
          revision,
          before: versionBefore,
          after,
          argv: proc.argv,
          exitCode: proc.exitCode,
          output: keptOutput(`${proc.stderr}${proc.stdout}`),
          changes: changes.map(describeChange),
        },
        snapshotAfterId,
      })
      return {
        runId: id,
        ok: proc.ok,
        command,
        revision,
        before: versionBefore,
        after,
        steps,
        stdout: proc.stdout,
        stderr: proc.stderr,
        error,
        changes,
        snapshotBeforeId,
        snapshotAfterId,
        message,
      }
    } catch (e) {
      if (runId !== null) {
        await updateRun(opts.state, runId, { status: e instanceof ActionError ? 'refused' : 'failed', error: (e as Error).message }).catch(() => {})
      }
      throw e
    } finally {
      await db.destroy()
    }
  })
}

export function alembicUpgrade(opts: AlembicRunOptions, revision = 'head'): Promise<AlembicRunResult> {
  return runAlembicCommand(opts, 'upgrade', revision)
}

/** Downgrade needs an explicit revision (an id, -1, base): never a default. */
export function alembicDowngrade(opts: AlembicRunOptions, revision: string): Promise<AlembicRunResult> {
  return runAlembicCommand(opts, 'downgrade', revision)
}
