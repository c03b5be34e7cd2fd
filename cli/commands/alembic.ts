import { alembicHistory } from '../../lib/alembic/history'
import { alembicOfflineSql } from '../../lib/alembic/offline-sql'
import { queueAlembicRun } from '../../lib/alembic/jobs'
import { alembicDrift, alembicRehearsal } from '../../lib/alembic/scratch-checks'
import { type AlembicSettings, alembicSettings, alembicVersionsDir } from '../../lib/alembic/settings'
import { alembicStatus } from '../../lib/alembic/status'
import { ActionError } from '../../lib/auth/action-result'
import { JobBusyError } from '../../lib/jobs/enqueue'
import { describeChange } from '../../lib/migrations/bookkeeping'
import { CliError, JSON_FLAG, stringFlag } from '../args'
import type { Command } from '../command'
import { beginCliAudit } from '../cli-audit'
import type { CliContext } from '../context'
import { stoppable } from './migrate'

const CLI_ACTOR = { id: null, label: 'cli', source: 'cli' } as const

function settingsOf(ctx: CliContext): AlembicSettings {
  const s = alembicSettings(ctx.config)
  if (!s) throw new CliError('Alembic is not configured: set ALEMBIC_DIR to the folder of the team’s alembic.ini (and ALEMBIC_COMMAND, a JSON array, when `alembic` is not how it is run)')
  return s
}

/** Upgrade and downgrade change the target: audited as the CLI, like the page's buttons. */
async function change(ctx: CliContext, command: 'upgrade' | 'downgrade', revision: string): Promise<void> {
  const settings = settingsOf(ctx)
  const audit = await beginCliAudit(ctx, { action: `alembic.${command}`, target: revision, input: { revision } })
  // The same job as the page's buttons, worked here while it waits: on the Jobs page meanwhile, cancelled by Ctrl-C.
  const jobs = await ctx.jobs({ work: true, workKinds: [`alembic.${command}`], supervise: false })
  const end = await stoppable(
    (signal) =>
      queueAlembicRun(jobs, command, { revision, actor: { id: null, source: 'cli' } }, { startedBy: 'cli', trigger: 'cli' }, {
        timeoutMs: settings.timeoutMs + 120_000,
        onQueued: (job) => signal.addEventListener('abort', () => void jobs.cancel(job.id).catch(() => {}), { once: true }),
      }),
    (x) => (x.ok ? x.run.message : x.message),
  ).catch((e: unknown) => audit.failed(e instanceof JobBusyError ? new CliError(e.message, 1) : e))
  const r = end.run
  if (!r) {
    await audit.finish({ result: 'failed', code: end.ok ? 'ok' : end.code, message: end.ok ? '' : end.message })
    throw new CliError(end.ok ? 'the run left no result' : end.message, 1)
  }
  await audit.finish({ result: r.ok ? 'ok' : 'failed', code: r.ok ? 'ok' : 'migration_failed', message: r.message })
  if (ctx.json) ctx.print({ ...r, jobId: end.job.id, changes: r.changes.map(describeChange) })
  else {
    // Alembic's own log, as the team knows it, then what the dashboard read back.
    process.stderr.write(r.stderr)
    if (r.stdout) ctx.out(r.stdout.trimEnd())
    ctx.out(r.message)
    for (const c of r.changes) ctx.out(`  ${describeChange(c)}`)
  }
  if (!r.ok) throw new CliError(r.error ?? r.message, 1)
}

/**
 * `dbadmin alembic status|history|upgrade [REV]|downgrade REV|sql REV|rehearse [REV]|drift`: the
 * team's own Alembic (ALEMBIC_COMMAND in ALEMBIC_DIR) with the dashboard's safety; upgrade and
 * downgrade are queued as jobs and worked here while the command waits.
 */
async function alembic(ctx: CliContext): Promise<void> {
  const [, sub, word] = ctx.args.positional
  try {
    if (sub === 'status') {
      const settings = alembicSettings(ctx.config)
      const versionsDir = settings ? alembicVersionsDir(settings) : (ctx.config.ALEMBIC_VERSIONS_DIR ?? null)
      const s = await alembicStatus(ctx.as('migrator'), versionsDir)
      if (ctx.json) return ctx.print({ ...s, graph: s.graph ? { ...s.graph, revisions: s.graph.revisions.length } : null, configured: !!settings })
      ctx.out(s.summary)
      if (s.versionsDir) ctx.out(`revision files: ${s.versionsDir}${s.graphError ? ` (${s.graphError})` : ''}`)
      if (s.graph) {
        ctx.out(`heads: ${s.heads.join(', ') || '–'}; branch points: ${s.graph.branchPoints.join(', ') || '–'}; merges: ${s.graph.merges.join(', ') || '–'}`)
        if (s.pending.length) ctx.out(`pending: ${s.pending.join(', ')}`)
      }
      for (const p of s.problems) ctx.out(`! ${p}`)
      if (!settings) ctx.out('Alembic runs are off: set ALEMBIC_DIR (and ALEMBIC_COMMAND) to upgrade, downgrade or rehearse from here.')
      return
    }
    if (sub === 'history') {
      const settings = settingsOf(ctx)
      const h = await alembicHistory(ctx.as('migrator'), settings, ctx.capabilities.migrator, alembicVersionsDir(settings))
      if (ctx.json) return ctx.print(h)
      for (const e of h.entries) {
        const marks = [e.current ? 'current' : '', e.head ? 'head' : '', e.merge ? 'merge' : '', e.branchPoint ? 'branch point' : ''].filter(Boolean).join(', ')
        ctx.out(`${e.applied ? '*' : ' '} ${e.downRevisions.join(', ') || '<base>'} -> ${e.revision}${marks ? ` (${marks})` : ''}, ${e.message ?? ''}`)
      }
      if (h.entries.length === 0 && h.output) ctx.out(h.output.trimEnd())
      if (h.error) throw new CliError(`alembic history failed: ${h.error}`, 1)
      return
    }
    if (sub === 'upgrade') return await change(ctx, 'upgrade', word ?? 'head')
    if (sub === 'downgrade') return await change(ctx, 'downgrade', word)
    if (sub === 'sql') {
      const direction = ctx.args.flags.downgrade === true ? 'downgrade' : 'upgrade'
      const r = await alembicOfflineSql(
        { settings: settingsOf(ctx), targetUrl: ctx.capabilities.migrator, target: ctx.as('migrator'), state: ctx.state(), actor: CLI_ACTOR },
        { direction, revision: word, from: stringFlag(ctx.args, 'from') },
      )
      if (ctx.json) ctx.print(r)
      else {
        process.stderr.write(`${r.message}\n`)
        if (r.ok) process.stdout.write(r.sql)
      }
      if (!r.ok) throw new CliError(r.error ?? r.message, 1)
      return
    }
    if (sub === 'rehearse' || sub === 'drift') {
      const o = { settings: settingsOf(ctx), targetUrl: ctx.capabilities.migrator, target: ctx.as('migrator'), state: ctx.state(), actor: CLI_ACTOR, pgBinDir: ctx.config.PG_BIN_DIR }
      const r = sub === 'rehearse' ? await alembicRehearsal(o, word ?? 'head') : await alembicDrift(o)
      if (ctx.json) ctx.print(r)
      else {
        ctx.out(r.message)
        const changes = 'changes' in r ? r.changes : [...r.downDiff, ...r.upAgainDiff]
        for (const c of changes) ctx.out(`  ${describeChange(c)}`)
      }
      const ok = 'comparable' in r ? r.comparable : r.ok
      if (!r.possible) throw new CliError(r.reason ?? r.message, 2)
      if (!ok) throw new CliError(r.message, 1)
      return
    }
  } catch (e) {
    if (e instanceof ActionError) throw new CliError(e.message, e.code === 'invalid_input' ? 2 : 1)
    throw e
  }
  throw new CliError(`unknown alembic command "${sub}"`)
}

const REV = (required: boolean) => [{ name: 'REV', required }]

export const alembicCommand: Command = {
  help: 'alembic status|history|upgrade [REV]|downgrade REV|sql REV|rehearse [REV]|drift [--json]  the team’s Alembic, with the run lock, snapshots and history',
  subcommands: {
    status: { flags: JSON_FLAG, summary: 'the revision the database is at, heads, branch points, merges and pending revisions' },
    history: { flags: JSON_FLAG, summary: 'the revision files newest first, marked with what the database has' },
    upgrade: { args: REV(false), flags: JSON_FLAG, summary: 'alembic upgrade REV (default head) under the run lock, with snapshots before and after' },
    downgrade: { args: REV(true), flags: JSON_FLAG, summary: 'alembic downgrade REV (an id, -1, base) under the run lock, with snapshots before and after' },
    sql: {
      args: REV(true),
      flags: { downgrade: { type: 'boolean' }, from: { type: 'string', value: 'REV' }, ...JSON_FLAG },
      summary: 'the SQL of upgrade (or --downgrade) to REV from where the database is (or --from REV), through Alembic’s offline mode; nothing runs',
    },
    rehearse: { args: REV(false), flags: JSON_FLAG, summary: 'upgrade to REV, downgrade back and upgrade again on a scratch copy of the schema' },
    drift: { flags: JSON_FLAG, summary: 'the chain replayed from empty on a scratch database, compared with the live schema' },
  },
  run: alembic,
}
