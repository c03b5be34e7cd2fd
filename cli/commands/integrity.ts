import { createDb } from '../../lib/db/connect'
import { writeAudit } from '../../lib/audit/audit-log'
import { findingJson, hasProblem } from '../../lib/integrity/findings'
import { restoreFix } from '../../lib/integrity/fix-orphans'
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
  if (ctx.args.positional[1] !== undefined) throw new CliError(`unknown integrity command "${ctx.args.positional[1]}" (restore)`)
  // Each check is one statement: statement_timeout bounds every check on its own.
  const db = createDb(ctx.targetUrl, {
    max: 2,
    applicationName: 'dbadmin integrity',
    statementTimeoutMs: ctx.config.INTEGRITY_CHECK_TIMEOUT_MS,
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

/** `dbadmin integrity restore --file F`: puts back the rows an orphan fix saved (see the audit log for F). */
async function restoreCommand(ctx: CliContext): Promise<void> {
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
