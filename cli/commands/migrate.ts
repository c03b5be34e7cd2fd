import { ActionError } from '../../lib/auth/action-result'
import { targetIdentity } from '../../lib/db/target-identity'
import { acknowledgeMigrationEdit } from '../../lib/migrations/acknowledge'
import { baselineChain } from '../../lib/migrations/baseline'
import { describeChange } from '../../lib/migrations/bookkeeping'
import { type ManagementDecisionKind, recordDecision } from '../../lib/migrations/management'
import { dorMigrationSet, type MigrationSet } from '../../lib/migrations/registry'
import { runLockHeld } from '../../lib/migrations/run-lock'
import { listRuns } from '../../lib/migrations/run-store'
import { dryRun } from '../../lib/migrations/dry-run'
import { rehearseRollbacks } from '../../lib/migrations/rehearsal'
import { detectDrift, replayCheck } from '../../lib/migrations/replay'
import { applyMigrations, type RunOptions, rollbackLast } from '../../lib/migrations/runner'
import { migrationStatus } from '../../lib/migrations/status'
import { CliError, JSON_FLAG, stringFlag } from '../args'
import type { Command } from '../command'
import { beginCliAudit } from '../cli-audit'
import type { CliContext } from '../context'
import { signalExitCode, trapStopSignals } from '../stop-signals'

const CLI_ACTOR = { id: null, label: 'cli', source: 'cli' } as const

/**
 * Runs a migration run with Ctrl-C, SIGTERM and SIGHUP turned into a stop: the statement running
 * on the server is cancelled (pg_cancel_backend from the run lock's session), no further
 * migration starts, the run is recorded as failed, and the process exits 128 + the signal's
 * number. Left to the default, the process would die at once while the server kept running the
 * statement and holding its locks. A second signal exits at once.
 */
export async function stoppable<T>(work: (signal: AbortSignal) => Promise<T>, summary: (result: T) => string): Promise<T> {
  const controller = new AbortController()
  const trap = trapStopSignals((s) => {
    process.stderr.write(`dbadmin: ${s}: cancelling the running statement on the server and stopping the run (again to quit at once)\n`)
    controller.abort(`the dbadmin process received ${s}`)
  })
  const code = signalExitCode
  const restore = trap.release
  let result: T
  try {
    result = await work(controller.signal)
  } catch (e) {
    const received = trap.received()
    if (received) throw new CliError(`stopped by ${received}: ${(e as Error).message}`, code(received))
    throw e
  } finally {
    restore()
  }
  const received = trap.received()
  if (received) throw new CliError(`stopped by ${received}: ${summary(result)}`, code(received))
  return result
}

function runOptions(ctx: CliContext, set: MigrationSet): RunOptions {
  return {
    targetUrl: ctx.capabilities.migrator,
    state: ctx.state(),
    set,
    actor: CLI_ACTOR,
    lockTimeoutMs: ctx.config.MIGRATION_LOCK_TIMEOUT_MS,
    statementTimeoutMs: ctx.config.MIGRATION_STATEMENT_TIMEOUT_MS,
  }
}

/**
 * `dbadmin migrate status|up|down|history|…`: the same functions, lock and history as the
 * Migrations page. `up` applies all pending (or up to --to NAME); `down` rolls back the newest
 * applied migration, whose name must be given with --name to confirm; `acknowledge --name N`
 * accepts the edit of an applied migration so that it no longer blocks apply.
 */
async function migrate(ctx: CliContext): Promise<void> {
  const sub = ctx.args.positional[1]
  const set = await dorMigrationSet()
  try {
    if (sub === 'status') {
      const s = await migrationStatus(ctx.as('migrator'), ctx.state(), set)
      const m = s.management
      if (ctx.json) {
        return ctx.print({
          database: s.targetDatabase,
          management: {
            mode: m.mode,
            chainAdopted: m.chainAdopted,
            headline: m.headline,
            tools: m.tools.map((t) => ({ tool: t.tool, schema: t.schema, table: t.table, current: t.current })),
            decision: m.decision,
          },
          migrations: s.migrations.map((m) => ({
            name: m.name,
            state: m.state,
            appliedAt: m.appliedAt,
            appliedBy: m.appliedBy,
            baseline: m.baseline,
            checksum: m.checksum,
            flags: m.flags.map((f) => f.code),
          })),
        })
      }
      // Who migrates this database comes first: the chain below is not work to do when it is not ours.
      if (m.headline) ctx.out(`${m.headline} The DoR chain is not adopted here (dbadmin migrate baseline --to NAME adopts it).\n`)
      for (const m of s.migrations) {
        const flags = m.flags.map((f) => f.code).join(',')
        const state = m.state === 'not_adopted' ? 'not adopted' : m.state
        ctx.out(`${state.padEnd(11)} ${m.name}${m.appliedBy ? `  (${m.appliedBy}${m.baseline ? ', baseline' : ''})` : ''}${flags ? `  [${flags}]` : ''}`)
      }
      return
    }
    if (sub === 'up') {
      const to = stringFlag(ctx.args, 'to')
      const audit = await beginCliAudit(ctx, { action: 'migrations.apply', target: to ? `to ${to}` : 'all', input: { to } })
      const result = await stoppable(
        async (signal) => {
          const r = await applyMigrations({ ...runOptions(ctx, set), signal }, to ? { to } : { all: true })
          if (ctx.json) ctx.print(r)
          else ctx.out(r.message)
          return r
        },
        (r) => r.steps.find((s) => !s.ok)?.error ?? r.message,
      ).catch((e: unknown) => audit.failed(e))
      await audit.finish({ result: result.ok ? 'ok' : 'failed', code: result.ok ? 'ok' : 'migration_failed', message: `Run #${result.runId}: ${result.message}` })
      if (!result.ok) throw new CliError(result.steps.find((s) => !s.ok)?.error ?? 'migration failed', 1)
      return
    }
    if (sub === 'down') {
      const name = stringFlag(ctx.args, 'name')
      const s = await migrationStatus(ctx.as('migrator'), ctx.state(), set)
      if (!name) {
        throw new CliError(`to roll back ${s.lastApplied ?? 'the last migration'}, confirm with --name ${s.lastApplied ?? 'NAME'}`)
      }
      const audit = await beginCliAudit(ctx, { action: 'migrations.rollback', target: name, input: { name } })
      const result = await stoppable(
        async (signal) => {
          const r = await rollbackLast({ ...runOptions(ctx, set), signal }, name)
          if (ctx.json) ctx.print(r)
          else ctx.out(r.message)
          return r
        },
        (r) => r.steps.find((s) => !s.ok)?.error ?? r.message,
      ).catch((e: unknown) => audit.failed(e))
      await audit.finish({ result: result.ok ? 'ok' : 'failed', code: result.ok ? 'ok' : 'migration_failed', message: `Run #${result.runId}: ${result.message}` })
      if (!result.ok) throw new CliError(result.steps.find((s) => !s.ok)?.error ?? 'rollback failed', 1)
      return
    }
    if (sub === 'dry-run') {
      const to = stringFlag(ctx.args, 'to')
      const result = await stoppable((signal) => dryRun({ ...runOptions(ctx, set), signal }, to ? { to } : { all: true }), (r) => r.message)
      if (ctx.json) ctx.print(result)
      else {
        ctx.out(result.message)
        for (const m of result.migrations) {
          ctx.out(`-- ${m.name}${m.skipped ? ` (skipped: ${m.skipped})` : ''}`)
          for (const st of m.statements) ctx.out(`${st.sql};`)
          if (m.error) ctx.out(`-- ERROR: ${m.error}`)
        }
      }
      if (!result.ok) throw new CliError('dry run failed', 1)
      return
    }
    if (sub === 'rehearse' || sub === 'replay' || sub === 'drift') {
      const o = { ...runOptions(ctx, set), target: ctx.as('migrator'), pgBinDir: ctx.config.PG_BIN_DIR }
      const result = sub === 'rehearse' ? await rehearseRollbacks(o) : sub === 'replay' ? await replayCheck(o) : await detectDrift(o)
      if (ctx.json) ctx.print(result)
      else {
        ctx.out(result.message)
        if ('changes' in result) for (const c of result.changes) ctx.out(`  ${c.change} ${c.object} ${c.table ? `${c.schema}.${c.table}` : c.schema} ${c.name}: ${c.detail}`)
        if ('steps' in result) {
          for (const st of result.steps) {
            ctx.out(`  ${st.name}: ${st.error ?? st.skipped ?? (st.downRestores ? 'down restores the schema' : 'down does NOT restore the schema')}`)
            for (const c of st.downDiff) ctx.out(`    ${c.change} ${c.object} ${c.name}: ${c.detail}`)
          }
        }
      }
      const ok = 'comparable' in result ? result.comparable : result.ok
      if (!ok) throw new CliError(result.message, 1)
      return
    }
    if (sub === 'acknowledge') return await acknowledge(ctx, set)
    if (sub === 'baseline') return await baseline(ctx, set)
    if (sub === 'decide') return await decide(ctx, set)
    if (sub === 'history') {
      const target = await targetIdentity(ctx.target())
      const runs = await listRuns(ctx.state(), { targetKey: target.key, lockHeld: await runLockHeld(ctx.capabilities.monitor), limit: 50 })
      if (ctx.json) return ctx.print({ runs })
      for (const r of runs) {
        ctx.out(`#${r.id} ${r.startedAt.toISOString()} ${r.kind} ${r.status} by ${r.startedBy}: ${r.steps.map((s) => `${s.name}(${s.direction} ${s.status})`).join(' ')}`)
      }
      return
    }
  } catch (e) {
    if (e instanceof ActionError) throw new CliError(e.message, 1)
    throw e
  }
  throw new CliError(`unknown migrate command "${sub}"`)
}

/** Audited as the CLI, like the page's Acknowledge; a refusal is audited too. */
async function acknowledge(ctx: CliContext, set: MigrationSet): Promise<void> {
  const name = stringFlag(ctx.args, 'name', true)
  const note = stringFlag(ctx.args, 'note')
  if (note !== undefined && note.length > 500) throw new CliError('--note must be at most 500 characters')
  const audit = await beginCliAudit(ctx, { action: 'migrations.acknowledge_edit', target: name, input: { name, note } })
  const done = await acknowledgeMigrationEdit(ctx.as('migrator'), ctx.state(), set, { name, by: CLI_ACTOR, note }).catch((e: unknown) => audit.failed(e))
  await audit.finish({ result: 'ok', code: 'ok', message: done.message })
  if (ctx.json) return ctx.print({ acknowledged: { name: done.name, checksum: done.checksum } })
  ctx.out(done.message)
}

/** Marks the chain applied up to --to on a database that has its schema; audited as the CLI. */
async function baseline(ctx: CliContext, set: MigrationSet): Promise<void> {
  const to = stringFlag(ctx.args, 'to', true)
  const acceptDifferences = ctx.args.flags['accept-differences'] === true
  const input = { to, acceptDifferences }
  const audit = await beginCliAudit(ctx, { action: 'migrations.baseline', target: `to ${to}`, input })
  const done = await baselineChain({ ...runOptions(ctx, set), to, acceptDifferences }).catch((e: unknown) => audit.failed(e))
  await audit.finish({ result: done.recorded ? 'ok' : 'failed', code: done.recorded ? 'ok' : 'conflict', message: done.message })
  if (ctx.json) ctx.print({ ...done, differences: done.differences.map((c) => ({ ...c, text: describeChange(c) })) })
  else ctx.out(done.message)
  if (!done.recorded) throw new CliError('baseline refused: the schemas differ (--accept-differences records it anyway)', 1)
}

const DECISIONS: ManagementDecisionKind[] = ['ours', 'elsewhere', 'auto']

/** Records who migrates this database (the page's Adopt controls); audited as the CLI. */
async function decide(ctx: CliContext, set: MigrationSet): Promise<void> {
  const decision = stringFlag(ctx.args, 'as', true) as ManagementDecisionKind
  if (!DECISIONS.includes(decision)) throw new CliError(`--as must be one of ${DECISIONS.join(', ')}, not "${decision}"`)
  const note = stringFlag(ctx.args, 'note')
  if (note !== undefined && note.length > 500) throw new CliError('--note must be at most 500 characters')
  const audit = await beginCliAudit(ctx, { action: 'migrations.decide', target: decision, input: { decision, note } })
  const s = await (async () => {
    await recordDecision(ctx.state(), { target: await targetIdentity(ctx.target()), decision, note, by: CLI_ACTOR })
    return migrationStatus(ctx.as('migrator'), ctx.state(), set)
  })().catch((e: unknown) => audit.failed(e))
  const message = `Recorded: ${decision}. ${s.management.headline ?? (s.management.chainAdopted ? 'The DoR chain applies to this database.' : '')}`.trim()
  await audit.finish({ result: 'ok', code: 'ok', message })
  if (ctx.json) return ctx.print({ decision, mode: s.management.mode })
  ctx.out(message)
}

const TO_FLAG = { to: { type: 'string', value: 'NAME' } } as const
const NAME_FLAG = { name: { type: 'string', value: 'NAME' } } as const

export const migrateCommand: Command = {
  help: 'migrate status|up|down|acknowledge|baseline|decide|history|dry-run|rehearse|replay|drift [--json]  DoR migrations, same lock and history as the page',
  subcommands: {
    status: { flags: JSON_FLAG, summary: 'every migration with its state and flags' },
    up: { flags: { ...TO_FLAG, ...JSON_FLAG }, summary: 'apply every pending migration, or up to --to NAME' },
    down: { flags: { ...NAME_FLAG, ...JSON_FLAG }, summary: 'roll back the newest applied migration, named with --name to confirm' },
    acknowledge: {
      flags: { name: { ...NAME_FLAG.name, required: true }, note: { type: 'string', value: 'TEXT' }, ...JSON_FLAG },
      summary: 'accept the edit of an applied migration so that it no longer blocks apply',
    },
    baseline: {
      flags: { to: { type: 'string', value: 'NAME', required: true }, 'accept-differences': { type: 'boolean' }, ...JSON_FLAG },
      summary: 'mark the chain applied up to --to NAME on a database that already has that schema (compared on a scratch replay first)',
    },
    decide: {
      flags: { as: { type: 'string', value: 'ours|elsewhere|auto', choices: DECISIONS, required: true }, note: { type: 'string', value: 'TEXT' }, ...JSON_FLAG },
      summary: 'record who migrates this database: our chain, another tool or team (elsewhere), or auto (by what it holds)',
    },
    history: { flags: JSON_FLAG, summary: 'the newest runs and their steps' },
    'dry-run': { flags: { ...TO_FLAG, ...JSON_FLAG }, summary: 'run pending migrations in a transaction that is rolled back, printing their SQL' },
    rehearse: { flags: JSON_FLAG, summary: 'each pending migration up, down and up again on a scratch copy of the schema' },
    replay: { flags: JSON_FLAG, summary: 'the whole chain on an empty scratch database, reporting the first that fails' },
    drift: { flags: JSON_FLAG, summary: 'the live schema against what its applied migrations build on a scratch database' },
  },
  run: migrate,
}
