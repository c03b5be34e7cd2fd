import type { Kysely } from 'kysely'
import { ActionError } from '../auth/action-result'
import { targetIdentity } from '../db/target-identity'
import { createRun, type RunActor, updateRun } from '../migrations/run-store'
import type { StateDb } from '../state/state-db'
import { alembicError } from './output'
import { runAlembicProcess } from './process'
import { checkRevision, keptOutput } from './run'
import type { AlembicSettings } from './settings'
import { readAlembicVersion } from './version-table'

export interface OfflineSqlRequest {
  direction: 'upgrade' | 'downgrade'
  /** Where to go: head, an id, base, -1… */
  revision: string
  /** Where to start; by default the revision the database is at. */
  from?: string
}

export interface OfflineSqlResult {
  runId: number
  ok: boolean
  /** The range Alembic was given, e.g. 4d5e6f708192:head. */
  range: string
  /** The exact SQL Alembic would run (its offline mode), when it succeeded. */
  sql: string
  error: string | null
  message: string
}

/**
 * A dry run through Alembic's offline mode (`upgrade --sql FROM:TO`): the exact SQL, from the
 * revision the database is at, without connecting to it. Nothing changes anywhere.
 */
export async function alembicOfflineSql(
  opts: { settings: AlembicSettings; targetUrl: string; target: Kysely<any>; state: StateDb; actor: RunActor; signal?: AbortSignal },
  request: OfflineSqlRequest,
): Promise<OfflineSqlResult> {
  checkRevision(request.revision)
  if (request.from !== undefined) checkRevision(request.from)
  const current = await readAlembicVersion(opts.target)
  let from = request.from
  if (from === undefined && current && current.length > 1) {
    throw new ActionError('conflict', `The database is at several heads (${current.join(', ')}): name the revision to start from.`)
  }
  from ??= current?.[0]
  if (request.direction === 'downgrade' && !from) {
    throw new ActionError('conflict', 'The database has no Alembic revision to downgrade from.')
  }
  // Relative targets (+1, -1) count from the start revision in offline mode.
  const to = /^[-+]\d+$/.test(request.revision) && from ? `${from}${request.revision}` : request.revision
  const range = from ? `${from}:${to}` : to
  const runId = await createRun(opts.state, {
    kind: 'alembic_sql',
    target: await targetIdentity(opts.target),
    actor: opts.actor,
    requested: { direction: request.direction, revision: request.revision, range },
  })
  try {
    const proc = await runAlembicProcess(opts.settings, opts.targetUrl, [request.direction, range, '--sql'], { signal: opts.signal })
    const error = proc.ok ? null : alembicError(proc.stderr, proc.stdout)
    const statements = (proc.stdout.match(/;\s*$/gm) ?? []).length - (proc.stdout.match(/^(BEGIN|COMMIT);\s*$/gm) ?? []).length
    const message = proc.ok
      ? `Offline SQL of alembic ${request.direction} ${range}: ${statements} statement${statements === 1 ? '' : 's'}; nothing was run.`
      : `Alembic could not write the SQL of ${request.direction} ${range}: ${error!.split('\n')[0]}`
    await updateRun(opts.state, runId, {
      status: proc.ok ? 'succeeded' : 'failed',
      error: proc.ok ? null : error,
      report: { range, direction: request.direction, sql: keptOutput(proc.stdout), output: keptOutput(proc.stderr) },
    })
    return { runId, ok: proc.ok, range, sql: proc.ok ? proc.stdout : '', error, message }
  } catch (e) {
    await updateRun(opts.state, runId, { status: 'failed', error: (e as Error).message }).catch(() => {})
    throw e
  }
}
