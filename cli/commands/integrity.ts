import { createDb } from '../../lib/db/connect'
import { writeAudit } from '../../lib/audit/audit-log'
import { findingJson, hasProblem } from '../../lib/integrity/findings'
import { startRestoreJob } from '../../lib/integrity/fix-job'
import { restoreFix } from '../../lib/integrity/fix-orphans'
import { type FixJobStatus, getFixJob, listFixJobs } from '../../lib/integrity/fix-store'
import { targetIdentity } from '../../lib/db/target-identity'
import { describeRelation } from '../../lib/integrity/types'
import { planChecks, runChecks } from '../../lib/integrity/run-checks'
import { CliError, stringFlag } from '../args'
import type { CliContext } from '../context'

/**
 * `dbadmin integrity [--json] [--fail-on-findings]`: every integrity check, one entry per relation
 * (count 0 included) and then the others. With --fail-on-findings it exits 1 when any count > 0.
 */
export async function integrityCommand(ctx: CliContext): Promise<void> {
  if (ctx.args.positional[1] === 'restore') return restoreCommand(ctx)
  if (ctx.args.positional[1] === 'fixes') return fixesCommand(ctx)
  if (ctx.args.positional[1] !== undefined) throw new CliError(`unknown integrity command "${ctx.args.positional[1]}" (restore, fixes)`)
  // Each check is one statement: statement_timeout bounds every check on its own.
  const db = createDb(ctx.targetUrl, {
    max: 2,
    applicationName: 'dbadmin integrity',
    statementTimeoutMs: ctx.config.INTEGRITY_CHECK_TIMEOUT_MS,
    rowSecurityOff: true,
  })
  try {
    const steps = await planChecks(db, ctx.state(), { ruleTimeoutMs: ctx.config.INTEGRITY_CHECK_TIMEOUT_MS })
    const { findings } = await runChecks(steps, {
      beforeStep: (i, step, total) => {
        if (!ctx.json) process.stderr.write(`[${i + 1}/${total}] ${step.title}\n`)
      },
    })
    if (ctx.json) ctx.print({ findings: findings.map(findingJson) })
    else {
      for (const f of findings) {
        const mark = f.error ? 'ERROR' : f.count ? String(f.count).padStart(5) : '   ok'
        ctx.out(`${mark}  ${f.check.padEnd(22)} ${f.title}${f.values?.length ? `: ${f.values.slice(0, 8).join(', ')}` : ''}${f.error ? ` (${f.error})` : ''}`)
      }
    }
    const failing = findings.filter(hasProblem)
    if (ctx.args.flags['fail-on-findings'] === true && failing.length) {
      throw new CliError(`${failing.length} check${failing.length === 1 ? '' : 's'} found problems`, 1)
    }
  } finally {
    await db.destroy()
  }
}

/** `dbadmin integrity fixes [--json]`: the orphan fixes and restores on this database, newest first. */
async function fixesCommand(ctx: CliContext): Promise<void> {
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
  const fix = stringFlag(ctx.args, 'fix')
  if (fix !== undefined) return restoreFixJob(ctx, fix)
  const file = stringFlag(ctx.args, 'file', true)
  const { manifest, restored } = await restoreFix(ctx.target(), file).catch((e: Error) => {
    throw new CliError(`cannot restore ${file}: ${e.message}`, 1)
  })
  const message = `Restored ${restored} row${restored === 1 ? '' : 's'} of ${describeRelation(manifest.relation)} (${manifest.mode === 'delete' ? 're-inserted' : 'references put back'}) from ${file}`
  await writeAudit(ctx.state(), {
    actorEmail: 'cli',
    action: 'integrity.restore_fix',
    target: describeRelation(manifest.relation),
    input: { file },
    result: 'ok',
    code: 'ok',
    message,
  })
  if (ctx.json) return ctx.print({ restored, relation: manifest.relation, mode: manifest.mode, file })
  ctx.out(message)
}

async function restoreFixJob(ctx: CliContext, fix: string): Promise<void> {
  const fixId = /^\d{1,15}$/.test(fix) ? Number(fix) : NaN
  if (!Number.isSafeInteger(fixId) || fixId < 1) throw new CliError(`--fix must be a fix number, not "${fix}"`)
  let finished!: (status: FixJobStatus) => void
  const done = new Promise<FixJobStatus>((resolve) => (finished = resolve))
  const restoreId = await startRestoreJob(ctx.target(), ctx.state(), { fixId, startedBy: 'cli' }, { onDone: (_id, status) => finished(status) }).catch(
    (e: Error) => {
      throw new CliError(`cannot restore fix #${fixId}: ${e.message}`, 1)
    },
  )
  await done
  const job = (await getFixJob(ctx.state(), restoreId))!
  const message =
    job.status === 'succeeded'
      ? `Restore #${restoreId} of fix #${fixId}: ${job.changed} row${job.changed === 1 ? '' : 's'} of ${describeRelation(job.relation)} put back from ${job.file}`
      : `Restore #${restoreId} of fix #${fixId} ${job.status}${job.error ? `: ${job.error}` : ''}`
  await writeAudit(ctx.state(), {
    actorEmail: 'cli',
    action: 'integrity.fix.restore',
    target: `fix job #${fixId}`,
    input: { fix: fixId },
    result: job.status === 'succeeded' ? 'ok' : 'failed',
    code: job.status === 'succeeded' ? 'ok' : 'restore_failed',
    message,
  })
  if (job.status !== 'succeeded') throw new CliError(message, 1)
  if (ctx.json) return ctx.print({ restore: job })
  ctx.out(message)
}
