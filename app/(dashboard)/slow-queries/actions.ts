'use server'

import { revalidatePath } from 'next/cache'
import { z } from 'zod'
import { action } from '@/lib/auth/action'
import { ActionError } from '@/lib/auth/action-result'
import { can } from '@/lib/auth/permissions'
import { ruleReader, stateDb, targetDb } from '@/lib/db/server-dbs'
import { targetIdentity } from '@/lib/db/target-identity'
import { forgetQueryStatsBaseline } from '@/lib/metrics/query-stats'
import { explainInSession, type ExplainResult } from '@/lib/performance/explain'
import { resetStatements } from '@/lib/performance/slow-queries'
import { createStatementsExtension } from '@/lib/performance/statements-extension'
import { THRESHOLDS } from '@/lib/performance/thresholds'

// Only action()-built functions are exported from this file: a unit test runs each as every role.

const ResetInput = z.object({
  queryid: z.preprocess((v) => (v === '' ? undefined : v), z.string().regex(/^-?\d{1,19}$/, { message: 'is not a query id' }).optional()),
})

/** pg_stat_statements_reset for this database (or one statement): the page's numbers start again from zero. */
export const resetStatementsAction = action({
  name: 'statements.reset',
  permission: 'statements.manage',
  input: ResetInput,
  target: (input) => (input.queryid ? `queryid ${input.queryid}` : 'pg_stat_statements'),
  run: async (_ctx, input) => {
    const r = await resetStatements(targetDb(), { queryid: input.queryid })
    // A database's reset does not move stats_reset: without this, a statement run more often after it than before would pass as a delta.
    await forgetQueryStatsBaseline(stateDb(), (await targetIdentity(targetDb())).key)
    revalidatePath('/slow-queries')
    return { message: r.reset === 'statement' ? `Statistics of statement ${r.queryid} reset.` : "This database's statement statistics were reset." }
  },
})

/** CREATE EXTENSION pg_stat_statements, offered when the library is preloaded but the extension is missing. */
export const createStatementsExtensionAction = action({
  name: 'statements.create-extension',
  permission: 'statements.manage',
  input: z.object({}),
  target: () => 'pg_stat_statements',
  run: async () => {
    const status = await createStatementsExtension(targetDb())
    revalidatePath('/slow-queries')
    return { message: status.summary }
  },
})

const ExplainInput = z.object({
  statement: z.string().trim().min(1, { message: 'is required' }).max(100_000, { message: 'is too long' }),
  /** Values for $1, $2 …; none for the generic plan. */
  params: z.array(z.string().max(10_000).nullable()).max(100).optional(),
  analyze: z.boolean().optional(),
})

/**
 * EXPLAIN of one statement on the restricted read-only reader, in a READ ONLY transaction that is
 * rolled back, with a 10 s statement timeout. Every role may see a plan; running it (ANALYZE, a
 * single SELECT only) is for operators and admins.
 */
export const explainAction = action({
  name: 'queries.explain',
  permission: 'dashboard.read',
  input: ExplainInput,
  target: (input) => input.statement.slice(0, 200),
  run: async (ctx, input) => {
    if (input.analyze && !can(ctx.user.role, 'queries.analyze')) {
      throw new ActionError('forbidden', `Your role (${ctx.user.role}) may see plans but not run statements with EXPLAIN ANALYZE.`)
    }
    const timeout = THRESHOLDS.explainTimeoutMs.value
    const result: ExplainResult = await ruleReader().session({ statementTimeoutMs: timeout, applicationName: 'dor-db-admin explain' }, (s) =>
      explainInSession(s, { statement: input.statement, params: input.params?.length ? input.params : undefined, analyze: input.analyze }),
    )
    const { json: _json, ...shown } = result
    return { message: `${result.mode === 'analyze' ? 'EXPLAIN ANALYZE' : result.mode === 'generic' ? 'Generic plan' : 'Plan'} of the statement, rolled back.`, data: shown }
  },
})
