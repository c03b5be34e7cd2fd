import { createDb } from '../../lib/db/connect'
import { findingJson } from '../../lib/integrity/findings'
import { planChecks, runChecks } from '../../lib/integrity/run-checks'
import { CliError } from '../args'
import type { CliContext } from '../context'

/**
 * `dbadmin integrity [--json] [--fail-on-findings]`: every integrity check, one entry per relation
 * (count 0 included) and then the others. With --fail-on-findings it exits 1 when any count > 0.
 */
export async function integrityCommand(ctx: CliContext): Promise<void> {
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
    const failing = findings.filter((f) => (f.count ?? 0) > 0 || f.error)
    if (ctx.args.flags['fail-on-findings'] === true && failing.length) {
      throw new CliError(`${failing.length} check${failing.length === 1 ? '' : 's'} found problems`, 1)
    }
  } finally {
    await db.destroy()
  }
}
