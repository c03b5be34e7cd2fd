import { CompiledQuery, type Kysely, sql } from 'kysely'
import { targetIdentity } from '../db/target-identity'
import { type Finding, finding } from './findings'

export interface CustomRule {
  id: number
  name: string
  description: string | null
  query: string
  enabled: boolean
  updatedBy: string
  updatedAt: Date
}

export const RULE_LIMITS = { maxQueryLength: 20_000, sampleRows: 20 } as const

export class RuleQueryError extends Error {}

function toRule(r: any): CustomRule {
  return {
    id: Number(r.id),
    name: r.name,
    description: r.description,
    query: r.query,
    enabled: r.enabled,
    updatedBy: r.updated_by,
    updatedAt: r.updated_at,
  }
}

/** The rules of one target (its identity key): a rule queries that database's tables. */
export async function listCustomRules(state: Kysely<any>, targetKey: string): Promise<CustomRule[]> {
  return (await state.selectFrom('integrity_rule').selectAll().where('target_key', '=', targetKey).orderBy('name').execute()).map(toRule)
}

/**
 * An admin's rule is a SELECT returning the violating rows. It runs as a subquery (so it can only
 * be one query, never a second statement), in a READ ONLY transaction with a statement timeout,
 * and PostgreSQL counts its rows: nothing is pulled into Node but a few samples.
 */
export async function runRuleQuery(
  db: Kysely<any>,
  query: string,
  timeoutMs: number,
): Promise<{ count: number; sample: Record<string, unknown>[] }> {
  const text = query.trim().replace(/;\s*$/, '')
  if (!text) throw new RuleQueryError('The rule has no query.')
  if (text.length > RULE_LIMITS.maxQueryLength) throw new RuleQueryError(`The query is longer than ${RULE_LIMITS.maxQueryLength} characters.`)
  return db
    .transaction()
    .setAccessMode('read only')
    .execute(async (trx) => {
      await sql`select set_config('statement_timeout', ${String(timeoutMs)}, true)`.execute(trx)
      try {
        // The admin's text is the feature itself: it is wrapped, never interpolated with anything else.
        const counted = await trx.executeQuery<{ n: string }>(
          CompiledQuery.raw(`select count(*)::text as n from (\n${text}\n) as violations`),
        )
        const sample = await trx.executeQuery<{ row: Record<string, unknown> }>(
          CompiledQuery.raw(`select to_jsonb(violations) as row from (\n${text}\n) as violations limit ${RULE_LIMITS.sampleRows}`),
        )
        return { count: Number(counted.rows[0].n), sample: sample.rows.map((r) => r.row) }
      } catch (e) {
        throw new RuleQueryError((e as Error).message)
      }
    })
}

/** Saves a rule after running it once, so that a broken query is refused with PostgreSQL's message. */
export async function saveCustomRule(
  target: Kysely<any>,
  state: Kysely<any>,
  input: { id?: number; name: string; description?: string; query: string; enabled: boolean; by: string },
  timeoutMs: number,
): Promise<{ rule: CustomRule; count: number }> {
  const tried = await runRuleQuery(target, input.query, timeoutMs)
  const targetKey = (await targetIdentity(target)).key
  const values = {
    name: input.name.trim(),
    description: input.description?.trim() || null,
    query: input.query.trim(),
    enabled: input.enabled,
    updated_by: input.by,
    updated_at: sql`now()`,
  }
  try {
    const row = input.id
      ? await state.updateTable('integrity_rule').set(values).where('id', '=', input.id).where('target_key', '=', targetKey).returningAll().executeTakeFirst()
      : await state.insertInto('integrity_rule').values({ ...values, target_key: targetKey }).returningAll().executeTakeFirst()
    if (!row) throw new RuleQueryError(`There is no rule #${input.id}.`)
    return { rule: toRule(row), count: tried.count }
  } catch (e) {
    if ((e as { code?: string }).code === '23505') throw new RuleQueryError(`A rule named "${values.name}" already exists.`)
    throw e
  }
}

export async function deleteCustomRule(state: Kysely<any>, id: number, targetKey: string): Promise<boolean> {
  const r = await state.deleteFrom('integrity_rule').where('id', '=', id).where('target_key', '=', targetKey).executeTakeFirst()
  return Number(r.numDeletedRows) > 0
}

export async function customRuleFindings(target: Kysely<any>, state: Kysely<any>, timeoutMs: number): Promise<Finding[]> {
  const out: Finding[] = []
  for (const rule of (await listCustomRules(state, (await targetIdentity(target)).key)).filter((r) => r.enabled)) {
    const started = Date.now()
    const base = { check: 'rule' as const, key: `custom_rule:${rule.id}`, title: rule.name, detail: { custom: true, ruleId: rule.id } }
    try {
      const { count, sample } = await runRuleQuery(target, rule.query, timeoutMs)
      out.push(
        finding({
          ...base,
          count,
          detail: { ...base.detail, sample },
          advice: count ? (rule.description ?? undefined) : undefined,
          durationMs: Date.now() - started,
        }),
      )
    } catch (e) {
      out.push(finding({ ...base, count: null, error: (e as Error).message, durationMs: Date.now() - started }))
    }
  }
  return out
}
