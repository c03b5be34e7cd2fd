import type { Kysely } from 'kysely'
import { ActionError } from '../auth/action-result'
import type { TargetIdentity } from '../db/target-identity'
import { type ForeignHistory, readForeignHistories, TOOL_LABEL } from './foreign-history'
import type { RunActor } from './run-store'
import type { StateDb } from '../state/state-db'

/**
 * Who migrates the target:
 * - ours: the DoR chain (its table is in the target, or an admin chose it);
 * - other_tool: another tool's history table is there and none of ours: the chain is not offered;
 * - elsewhere: an admin recorded that another tool or team migrates it;
 * - none: a plain database with no migration history at all.
 */
export type ManagementMode = 'ours' | 'other_tool' | 'elsewhere' | 'none'

export type ManagementDecisionKind = 'ours' | 'elsewhere' | 'auto'

export interface ManagementDecision {
  decision: ManagementDecisionKind
  note: string | null
  decidedBy: string
  decidedAt: Date
}

export interface ChainManagement {
  mode: ManagementMode
  /** Other tools' history tables in the target. */
  tools: ForeignHistory[]
  /** The admin's standing decision for this target ('auto' withdraws an earlier one). */
  decision: ManagementDecision | null
  /** First thing the page and `migrate status` say when the chain is not ours here, else null. */
  headline: string | null
  /** The DoR chain may be applied (and checked) here. */
  chainAdopted: boolean
}

function count(n: number, one: string, many: string): string {
  return n === 1 ? one : `${n} ${many}`
}

/** "Managed by Alembic (public.alembic_version): at 1a2b3c4d5e6f, one head." */
export function toolHeadline(h: ForeignHistory): string {
  const where = `${TOOL_LABEL[h.tool]} (${h.schema}.${h.table})`
  if (h.tool === 'alembic') {
    if (h.current.length === 0) return `Managed by ${where}: no revision applied yet.`
    return `Managed by ${where}: at ${h.current.join(', ')}, ${count(h.current.length, 'one head', 'heads applied separately')}.`
  }
  const at = h.current.length ? `at ${h.current[0]}` : 'nothing applied yet'
  return `Managed by ${where}: ${at}, ${count(h.total, 'one entry', 'entries')} in its history.`
}

export async function latestDecision(state: StateDb, targetKey: string): Promise<ManagementDecision | null> {
  const row = await state
    .selectFrom('migration_adoption')
    .select(['decision', 'note', 'decided_by', 'decided_at'])
    .where('target_key', '=', targetKey)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst()
  return row ? { decision: row.decision as ManagementDecisionKind, note: row.note, decidedBy: row.decided_by, decidedAt: row.decided_at } : null
}

/** Records an admin's decision (audited by the caller); the newest one counts. */
export async function recordDecision(
  state: StateDb,
  input: { target: TargetIdentity; decision: ManagementDecisionKind; note?: string | null; by: RunActor },
): Promise<void> {
  await state
    .insertInto('migration_adoption')
    .values({
      target_key: input.target.key,
      target_database: input.target.database,
      decision: input.decision,
      note: input.note ?? null,
      decided_by_id: input.by.id ?? null,
      decided_by: input.by.label,
    })
    .execute()
}

/**
 * Decides who migrates the target from what it holds and the admin's decision. Our own table
 * wins: once the chain was applied or baselined, it is ours, whatever else is there.
 */
export async function chainManagement(
  target: Kysely<any>,
  state: StateDb,
  input: { targetKey: string; ownTable: string; ownTablePresent: boolean },
): Promise<ChainManagement> {
  const [tools, decision] = await Promise.all([readForeignHistories(target, input.ownTable), latestDecision(state, input.targetKey)])
  const standing = decision && decision.decision !== 'auto' ? decision : null
  let mode: ManagementMode
  if (input.ownTablePresent || standing?.decision === 'ours') mode = 'ours'
  else if (standing?.decision === 'elsewhere') mode = 'elsewhere'
  else if (tools.length) mode = 'other_tool'
  else mode = 'none'
  let headline: string | null = null
  if (mode === 'other_tool') headline = toolHeadline(tools[0]) + (tools.length > 1 ? ` Also: ${tools.slice(1).map((t) => TOOL_LABEL[t.tool]).join(', ')}.` : '')
  if (mode === 'elsewhere') {
    headline = `Migrations of this database are managed elsewhere (recorded by ${standing!.decidedBy}${standing!.note ? `: ${standing!.note}` : ''}).`
  }
  return { mode, tools, decision, headline, chainAdopted: mode === 'ours' || mode === 'none' }
}

/**
 * Refuses work on the DoR chain (apply, dry run, rehearsal, drift) where it is not adopted, with
 * the same explanation the page and `migrate status` give, before anything touches the target.
 */
export function assertChainAdopted(management: ChainManagement): void {
  if (management.chainAdopted) return
  const how =
    management.mode === 'elsewhere'
      ? 'An admin recorded that another tool or team migrates it; to apply the DoR chain here, an admin adopts it (baseline, or "apply our chain here") on the Migrations page.'
      : 'The DoR migrations are not applied to it: run its own migrations with that tool, or have an admin adopt the chain first (`dbadmin migrate baseline --to NAME`, or "Baseline" on the Migrations page).'
  throw new ActionError('conflict', `${management.headline} ${how}`)
}
