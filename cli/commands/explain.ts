import { restrictedReader } from '../../lib/db/reader-login'
import { AppError } from '../../lib/errors'
import { explainInSession } from '../../lib/performance/explain'
import type { PlanNode } from '../../lib/performance/plan-tree'
import { THRESHOLDS } from '../../lib/performance/thresholds'
import { CliError, JSON_FLAG, stringFlag } from '../args'
import type { Command } from '../command'
import type { CliContext } from '../context'

function params(raw: string | undefined): (string | null)[] | undefined {
  if (raw === undefined) return undefined
  let v: unknown
  try {
    v = JSON.parse(raw)
  } catch {
    throw new CliError('--params must be a JSON array of strings (or null), e.g. --params \'["42", null]\'')
  }
  if (!Array.isArray(v) || !v.every((x) => x === null || typeof x === 'string')) throw new CliError('--params must be a JSON array of strings (or null)')
  return v as (string | null)[]
}

function lines(n: PlanNode, depth = 0): string[] {
  const on = n.relation ? ` on ${n.schema ? `${n.schema}.` : ''}${n.relation}` : ''
  const actual = n.actual ? ` actual ${n.actual.rows} rows x${n.actual.loops}, ${n.inclusiveMs?.toFixed(2)} ms` : ''
  const marks = `${n.costliest ? ' [costliest]' : ''}${n.misestimate ? ` [rows ${n.misestimate.direction}estimated x${Math.round(n.misestimate.factor)}]` : ''}`
  return [`${'  '.repeat(depth)}-> ${n.nodeType}${n.index ? ` using ${n.index}` : ''}${on}  (cost ${n.totalCost.toFixed(2)}, ${n.planRows} rows)${actual}${marks}`, ...n.children.flatMap((c) => lines(c, depth + 1))]
}

/**
 * `dbadmin explain --sql TEXT [--params JSON] [--analyze] [--json]`: EXPLAIN on the restricted
 * read-only reader, in a READ ONLY transaction rolled back, 10 s at most; ANALYZE only for a single SELECT.
 */
async function explain(ctx: CliContext): Promise<void> {
  const statement = stringFlag(ctx.args, 'sql', true)
  const values = params(stringFlag(ctx.args, 'params'))
  const reader = restrictedReader({ configuredUrl: ctx.config.RULE_READER_DATABASE_URL, target: ctx.target(), targetUrl: ctx.targetUrl, state: ctx.state() })
  try {
    const r = await reader.session({ statementTimeoutMs: THRESHOLDS.explainTimeoutMs.value, applicationName: 'dbadmin explain' }, (s) =>
      explainInSession(s, { statement, params: values, analyze: ctx.args.flags.analyze === true }),
    )
    if (ctx.json) return ctx.print({ mode: r.mode, statement: r.statement, parameterTypes: r.parameterTypes, plan: r.plan, explain: r.json })
    ctx.out([`${r.mode} plan${r.parameterTypes.length ? ` for ${r.parameterTypes.map((t, i) => `$${i + 1} ${t}`).join(', ')}` : ''}`, ...lines(r.plan.root)].join('\n'))
  } catch (e) {
    if (e instanceof AppError) throw new CliError(e.message, 1)
    throw e
  }
}

export const explainCommand: Command = {
  help: 'explain --sql TEXT [--params JSON] [--analyze] [--json]  a statement\'s plan (read-only, rolled back)',
  subcommands: {
    '': {
      flags: { sql: { type: 'string', value: 'TEXT', required: true }, params: { type: 'string', value: 'JSON' }, analyze: { type: 'boolean' }, ...JSON_FLAG },
      check: (args) => void params(stringFlag(args, 'params')),
      summary: 'EXPLAIN one statement on the read-only reader ($1… from --params, else the generic plan); --analyze runs a single SELECT, rolled back',
    },
  },
  run: explain,
}
