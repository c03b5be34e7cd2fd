import { createDb } from '../../lib/db/connect'
import { restrictedReader } from '../../lib/db/reader-login'
import { type Finding, findingJson } from '../../lib/integrity/findings'
import { restoreFix } from '../../lib/integrity/fix-orphans'
import { getFixJob, listFixJobs } from '../../lib/integrity/fix-store'
import { targetIdentity } from '../../lib/db/target-identity'
import { describeRelation } from '../../lib/integrity/types'
import { planChecks, runChecks } from '../../lib/integrity/run-checks'
import { getIntegrityRun, runFindings } from '../../lib/integrity/run-store'
import { JobBusyError } from '../../lib/jobs/enqueue'
import { CliError, idFlag, JSON_FLAG, type ParsedArgs, stringFlag } from '../args'
import type { Command } from '../command'
import { beginCliAudit } from '../cli-audit'
import type { CliContext } from '../context'
import { markDeadJobsHere } from '../job-services'
import { followOwnJob, stoppedBySignal } from './follow-job'

/**
 * `dbadmin integrity [--json] [--fail-on-findings] [--allow-check-errors] [--no-wait | --inline]`:
 * every integrity check, one entry per relation (count 0 included) and then the others. By default
 * the run is queued as a job (it shows on the Jobs and Integrity pages; this process works the
 * queue while it waits, so no server is needed) and its findings are printed when it ends;
 * `--no-wait` prints the job and returns; `--inline` runs the checks here without recording a run.
 * A check that could not run makes the run exit 2 (its answer is incomplete) unless
 * --allow-check-errors; with --fail-on-findings it exits 1 when any count > 0.
 */
function checkModes(args: ParsedArgs): void {
  if (args.flags['no-wait'] === true && args.flags.inline === true) throw new CliError('give --no-wait or --inline, not both')
  if (args.flags['no-wait'] === true && args.flags['fail-on-findings'] === true) throw new CliError('--fail-on-findings needs the result: leave out --no-wait')
}

async function checks(ctx: CliContext): Promise<void> {
  if (ctx.args.flags['no-wait'] === true) {
    const job = await queueRun(ctx, false)
    if (ctx.json) return ctx.print({ job: { id: job.id, state: job.state }, runId: job.refId })
    return ctx.out(`Queued integrity run #${job.refId} as job #${job.id}; follow it with dbadmin jobs list or on the Jobs page.`)
  }
  const findings = ctx.args.flags.inline === true ? await inlineFindings(ctx) : await queuedFindings(ctx)
  if (ctx.json) ctx.print({ findings: findings.map(findingJson) })
  else {
    for (const f of findings) {
      const mark = f.error ? 'ERROR' : f.count ? String(f.count).padStart(5) : '   ok'
      ctx.out(`${mark}  ${f.check.padEnd(22)} ${f.title}${f.values?.length ? `: ${f.values.slice(0, 8).join(', ')}` : ''}${f.error ? ` (${f.error})` : ''}`)
    }
  }
  const errored = findings.filter((f) => f.error)
  if (errored.length) {
    const why = checkErrors(errored, findings.length)
    if (ctx.args.flags['allow-check-errors'] !== true) throw new CliError(`${why}\nThe results are incomplete; --allow-check-errors accepts that.`, 2)
    process.stderr.write(`dbadmin: ${why}\n`)
  }
  const failing = findings.filter((f) => (f.count ?? 0) > 0)
  if (ctx.args.flags['fail-on-findings'] === true && failing.length) {
    throw new CliError(`${failing.length} check${failing.length === 1 ? '' : 's'} found problems`, 1)
  }
}

async function queueRun(ctx: CliContext, work: boolean) {
  const jobs = await ctx.jobs(work ? { work: true, workKinds: ['integrity.run'], supervise: false } : { work: false, supervise: false })
  try {
    return await jobs.enqueue('integrity.run', {}, { startedBy: 'cli', trigger: 'cli' })
  } catch (e) {
    // A run whose process died (Ctrl-C, kill) is run again by pg-boss, possibly by this very process's
    // worker, which can take it before the new run is queued: that run's findings are the answer.
    const retried = e instanceof JobBusyError ? e.running : null
    if (work && retried?.kind === 'integrity.run' && (retried.state === 'interrupted' || retried.attempts > 1)) {
      process.stderr.write(`dbadmin: integrity run #${retried.refId} (job #${retried.id}) was interrupted and runs again; waiting for it\n`)
      return retried
    }
    if (e instanceof JobBusyError) throw new CliError(e.message, 1)
    throw e
  }
}

/** Queued and waited for: the run's findings as saved, in the order the checks ran. */
async function queuedFindings(ctx: CliContext): Promise<Finding[]> {
  const job = await queueRun(ctx, true)
  const followed = await followOwnJob(ctx, job, { progress: true })
  stoppedBySignal(followed, `integrity run #${job.refId}`)
  const done = followed.job
  const run = job.refId === null ? null : await getIntegrityRun(ctx.state(), job.refId)
  if (!run || done.state !== 'succeeded') {
    throw new CliError(`integrity run #${job.refId} (job #${job.id}) ${done.state}${done.error ? `: ${done.error}` : ''}`, 2)
  }
  return runFindings(ctx.state(), run.id)
}

/** The checks run here, without the queue and without recording a run (the benchmark's baseline). */
async function inlineFindings(ctx: CliContext): Promise<Finding[]> {
  // Each check is one statement: statement_timeout bounds every check on its own.
  // Checks read as the backup login (reads every table, writes nothing).
  const db = createDb(ctx.capabilities.backup, {
    max: 2,
    applicationName: 'dbadmin integrity',
    statementTimeoutMs: ctx.config.INTEGRITY_CHECK_TIMEOUT_MS,
    rowSecurityOff: true,
  })
  // Only DATABASE_URL's login may create the managed rule reader, when RULE_READER_DATABASE_URL is not set.
  const setup = createDb(ctx.targetUrl, { max: 1, applicationName: 'dbadmin cli (rule reader setup)' })
  try {
    const reader = restrictedReader({ configuredUrl: ctx.config.RULE_READER_DATABASE_URL, target: setup, targetUrl: ctx.targetUrl, state: ctx.state() })
    const steps = await planChecks(db, ctx.state(), { ruleTimeoutMs: ctx.config.INTEGRITY_CHECK_TIMEOUT_MS, reader })
    const { findings } = await runChecks(steps, {
      beforeStep: (i, step, total) => {
        if (!ctx.json) process.stderr.write(`[${i + 1}/${total}] ${step.title}\n`)
      },
    })
    return findings
  } finally {
    await Promise.all([db.destroy(), setup.destroy()])
  }
}

const SHOWN_ERRORS = 10

/** How many checks could not run and why, one line each (the first few). */
function checkErrors(errored: Finding[], total: number): string {
  const lines = errored.slice(0, SHOWN_ERRORS).map((f) => `  ${f.title}: ${f.error}`)
  if (errored.length > SHOWN_ERRORS) lines.push(`  … and ${errored.length - SHOWN_ERRORS} more`)
  return [`${errored.length} of ${total} check${total === 1 ? '' : 's'} could not run:`, ...lines].join('\n')
}

/** `dbadmin integrity fixes [--json]`: the orphan fixes and restores on this database, newest first. */
async function fixesCommand(ctx: CliContext): Promise<void> {
  await markDeadJobsHere(ctx)
  const jobs = await listFixJobs(ctx.state(), { targetKey: (await targetIdentity(ctx.target())).key, limit: 200 })
  if (ctx.json) return ctx.print({ fixes: jobs })
  if (jobs.length === 0) return ctx.out('No fixes on this database.')
  for (const j of jobs) {
    const what = j.kind === 'restore' ? `restore of #${j.restoresFix}` : j.mode === 'delete' ? 'delete' : 'set NULL'
    const restored = j.restoredBy ? ` (restored by #${j.restoredBy.id}: ${j.restoredBy.status})` : ''
    ctx.out(`#${j.id}  ${j.status.padEnd(11)} ${what.padEnd(16)} ${describeRelation(j.relation)}  ${j.changed}/${j.total} rows  ${j.startedBy} ${j.startedAt.toISOString()}${restored}  ${j.file}`)
  }
}

/**
 * `dbadmin integrity restore --fix N | --file F`: puts back the rows an orphan fix saved. With
 * --fix it runs as the page's Restore does (recorded with the fix); with --file it works from the
 * file alone (e.g. after the state database was lost).
 */
async function restoreCommand(ctx: CliContext): Promise<void> {
  if (ctx.args.flags.fix !== undefined) {
    if (ctx.args.flags.file !== undefined) throw new CliError('give --fix or --file, not both')
    return restoreFixJob(ctx)
  }
  const file = stringFlag(ctx.args, 'file', true)
  const audit = await beginCliAudit(ctx, { action: 'integrity.restore_fix', target: file, input: { file } })
  const { manifest, restored } = await restoreFix(ctx.as('migrator'), file).catch((e: Error) => audit.failed(new CliError(`cannot restore ${file}: ${e.message}`, 1)))
  const message = `Restored ${restored} row${restored === 1 ? '' : 's'} of ${describeRelation(manifest.relation)} (${manifest.mode === 'delete' ? 're-inserted' : 'references put back'}) from ${file}`
  await audit.finish({ result: 'ok', code: 'ok', message, target: describeRelation(manifest.relation) })
  if (ctx.json) return ctx.print({ restored, relation: manifest.relation, mode: manifest.mode, file })
  ctx.out(message)
}

async function restoreFixJob(ctx: CliContext): Promise<void> {
  const fixId = idFlag(ctx.args, 'fix', 'a fix number')
  const audit = await beginCliAudit(ctx, { action: 'integrity.fix.restore', target: `fix job #${fixId}`, input: { fix: fixId } })
  const fix = await getFixJob(ctx.state(), fixId)
  if (!fix) await audit.failed(new CliError(`cannot restore fix #${fixId}: There is no fix #${fixId}.`, 1))
  const jobs = await ctx.jobs({ work: true, workKinds: ['integrity.restore'], supervise: false })
  const queued = await jobs
    .enqueue('integrity.restore', { fixId, relation: fix!.relation }, { startedBy: 'cli', trigger: 'cli' })
    .catch((e: Error) => audit.failed(new CliError(`cannot restore fix #${fixId}: ${e.message}`, 1)))
  const followed = await followOwnJob(ctx, queued)
  const restoreId = queued.refId!
  const job = (await getFixJob(ctx.state(), restoreId))!
  const message =
    job.status === 'succeeded'
      ? `Restore #${restoreId} of fix #${fixId}: ${job.changed} row${job.changed === 1 ? '' : 's'} of ${describeRelation(job.relation)} put back from ${job.file}`
      : `Restore #${restoreId} of fix #${fixId} ${job.status}${job.error ? `: ${job.error}` : ''}`
  await audit.finish({ result: job.status === 'succeeded' ? 'ok' : 'failed', code: job.status === 'succeeded' ? 'ok' : 'restore_failed', message })
  stoppedBySignal(followed, `restore #${restoreId} of fix #${fixId}`)
  if (job.status !== 'succeeded') throw new CliError(message, 1)
  if (ctx.json) return ctx.print({ restore: job })
  ctx.out(message)
}

/**
 * `dbadmin integrity cancel --fix N`: asks a running fix or restore to stop after its current
 * batch, as the page's Cancel does; the batches done so far stay done. Audited as the CLI.
 */
async function cancelFixJob(ctx: CliContext): Promise<void> {
  const fixId = idFlag(ctx.args, 'fix', 'a fix or restore number')
  const audit = await beginCliAudit(ctx, { action: 'integrity.fix.cancel', target: `fix job #${fixId}`, input: { fix: fixId } })
  await markDeadJobsHere(ctx)
  const job = await getFixJob(ctx.state(), fixId)
  const here = await targetIdentity(ctx.target())
  let refusal: string | null = null
  if (!job) refusal = `There is no fix or restore #${fixId}.`
  else if (job.targetKey !== here.key) refusal = `Job #${fixId} ran on database ${job.targetDatabase}, not on this target (${here.database}).`
  else if (!job.jobId || !(await (await ctx.jobs()).cancel(job.jobId)).ok) refusal = `Job #${fixId} is not running (${job.status}).`
  const message = refusal ?? `Job #${fixId} stops after its current batch; the batches done so far stay done.`
  await audit.finish({ result: refusal ? 'failed' : 'ok', code: refusal ? (job ? 'conflict' : 'not_found') : 'ok', message })
  if (refusal) throw new CliError(`cannot cancel: ${refusal}`, 1)
  if (ctx.json) return ctx.print({ cancelRequested: fixId })
  ctx.out(message)
}

const FIX_FLAG = { fix: { type: 'string', value: 'N' } } as const

export const integrityCommand: Command = {
  help: 'integrity [--json] [--fail-on-findings] [--allow-check-errors] [--no-wait|--inline] | integrity fixes | integrity restore --fix N|--file F | integrity cancel --fix N  checks; list, undo and cancel orphan fixes',
  subcommands: {
    '': {
      flags: { ...JSON_FLAG, 'fail-on-findings': { type: 'boolean' }, 'allow-check-errors': { type: 'boolean' }, 'no-wait': { type: 'boolean' }, inline: { type: 'boolean' } },
      check: checkModes,
      summary:
        'run every integrity check as a queued job and print its findings (--no-wait: only queue it; --inline: here, unrecorded): exit 1 with --fail-on-findings when any finds rows, 2 when a check could not run',
    },
    fixes: { flags: JSON_FLAG, summary: 'the orphan fixes and restores on this database, newest first' },
    restore: {
      flags: { ...FIX_FLAG, file: { type: 'string', value: 'F' }, ...JSON_FLAG },
      check: (args) => {
        if (args.flags.fix === undefined) stringFlag(args, 'file', true)
        else if (args.flags.file !== undefined) throw new CliError('give --fix or --file, not both')
        else idFlag(args, 'fix', 'a fix number')
      },
      summary: 'put back the rows a fix saved (--fix N as the page does, or --file F alone)',
    },
    cancel: {
      flags: { fix: { ...FIX_FLAG.fix, required: true }, ...JSON_FLAG },
      check: (args) => void idFlag(args, 'fix', 'a fix or restore number'),
      summary: 'stop a running fix or restore after its current batch',
    },
  },
  run: (ctx) => {
    const sub = ctx.args.positional[1]
    if (sub === 'fixes') return fixesCommand(ctx)
    if (sub === 'restore') return restoreCommand(ctx)
    if (sub === 'cancel') return cancelFixJob(ctx)
    return checks(ctx)
  },
}
