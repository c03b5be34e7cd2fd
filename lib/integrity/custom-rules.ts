import { sql } from 'kysely'
import type { RestrictedReader } from '../db/reader-login'
import { cutErrorMessage, ReaderError, ReaderQueryError } from '../db/restricted-reader'
import { protectedReads, protectedReadsMessage, textRefusal } from '../db/protected-catalogs'
import { type Finding, finding } from './findings'
import { isDbError } from '../db/db-errors'
import { AppError } from '../errors'
import type { StateDb, StateRow } from '../state/state-db'

export interface CustomRule {
  id: number
  name: string
  description: string | null
  query: string
  enabled: boolean
  updatedBy: string
  updatedAt: Date
  /** Why the dashboard disabled it, when it did. */
  disabledNote: string | null
  /** The RULE_VALIDATION it last passed (0: saved before rules ran as a read-only role). */
  validation: number
}

export const RULE_LIMITS = { maxQueryLength: 20_000, sampleRows: 20 } as const

/**
 * Raised when the way rules run gets stricter, so that saved rules pass once more under it.
 * 1: one statement, on a read-only role of its own (issue 10).
 * 2: no system catalog that PUBLIC may not read (pg_authid's password hashes), no function that
 *    runs a query of its own (lib/db/protected-catalogs.ts).
 */
export const RULE_VALIDATION = 2

/** What changed since a rule's validation, for the note of a rule disabled at its re-check. */
const SAVED_BEFORE: Record<number, string> = {
  0: 'saved before rules ran as a read-only role, it does not run as one',
  1: 'saved before rules were kept from the system catalogs PUBLIC may not read, it does not pass',
}

/**
 * PostgreSQL refused or failed the rule's query: `reason` is its message cut to the first line,
 * 300 characters, and the user sees it as "The query does not run: …" next to the query field.
 */
export class RuleQueryError extends AppError {
  constructor(
    readonly reason: string,
    /** PostgreSQL's SQLSTATE, when the server answered. */
    readonly sqlState?: string,
  ) {
    super('invalid_input', `The query does not run: ${reason}`, { fieldErrors: { query: reason } })
    this.name = 'RuleQueryError'
  }
}

/**
 * Whether a failure says something about the rule rather than the server or the connection: a
 * lost connection, a shutdown, a full disk or a deadlock must not disable a saved rule.
 */
function rulesFault(e: RuleQueryError): boolean {
  if (e.sqlState === REFUSED_HERE) return true
  if (!e.sqlState) return false
  return !/^(08|40|53|54|55|57P|58|XX)/.test(e.sqlState)
}

/** What a rule refused for what it reads is told. */
const ONLY = 'rules read table data only'

/** The code of a rule refused before it reached the server. */
const REFUSED_HERE = 'dbadmin'

function toRule(r: StateRow<'integrity_rule'>): CustomRule {
  return {
    id: Number(r.id),
    name: r.name,
    description: r.description,
    query: r.query,
    enabled: r.enabled,
    updatedBy: r.updated_by,
    updatedAt: r.updated_at,
    disabledNote: r.disabled_note,
    validation: r.validation,
  }
}

/** The rules of one target (its identity key): a rule queries that database's tables. */
export async function listCustomRules(state: StateDb, targetKey: string): Promise<CustomRule[]> {
  return (await state.selectFrom('integrity_rule').selectAll().where('target_key', '=', targetKey).orderBy('name').execute()).map(toRule)
}

/**
 * Counts the rows and samples a few in one statement, so that the text runs once. The text sits
 * between two lines of its own: a trailing comment cannot swallow the closing parenthesis, and
 * anything else that breaks out of it still leaves one statement, which is all the extended
 * protocol accepts. `$1` (the sample size) makes pg use that protocol.
 */
function ruleStatement(text: string): string {
  return `select count(*) as n,
  coalesce(jsonb_agg(dbadmin_rule.sampled) filter (where dbadmin_rule.sampled is not null), '[]'::jsonb) as sample
from (
  select case when row_number() over () <= $1 then to_jsonb(dbadmin_violation.*) end as sampled
  from (
${text}
  ) as dbadmin_violation
) as dbadmin_rule`
}

/**
 * An admin's rule is a SELECT returning the violating rows. It runs as one statement on the
 * restricted reader (lib/db/restricted-reader.ts): its own read-only role, a READ ONLY transaction
 * that is rolled back, the check timeout, a session closed afterwards. PostgreSQL counts the rows;
 * nothing is pulled into Node but a few samples. Saving, running by hand and scheduled runs all
 * come through here: before it runs, it is planned and refused when it would read a system catalog
 * that PUBLIC may not (the reader's pg_read_all_data would let it; lib/db/protected-catalogs.ts).
 */
export async function runRuleQuery(
  reader: RestrictedReader,
  query: string,
  timeoutMs: number,
): Promise<{ count: number; sample: Record<string, unknown>[] }> {
  const text = query.trim().replace(/;\s*$/, '')
  if (!text) throw new RuleQueryError('The rule has no query.', REFUSED_HERE)
  if (text.length > RULE_LIMITS.maxQueryLength) {
    throw new RuleQueryError(`The query is longer than ${RULE_LIMITS.maxQueryLength} characters.`, REFUSED_HERE)
  }
  const refused = textRefusal(text, ONLY)
  if (refused) throw new RuleQueryError(refused, REFUSED_HERE)
  const statement = ruleStatement(text)
  const params = [RULE_LIMITS.sampleRows]
  return reader.session({ statementTimeoutMs: timeoutMs, applicationName: 'dbadmin custom rule' }, async (session) => {
    try {
      // Planned on the same session with the same parameters, so that what is judged is what runs.
      const reads = await protectedReads(session, statement, params)
      if (reads.length) throw new RuleQueryError(protectedReadsMessage(reads, ONLY), REFUSED_HERE)
      const [row] = await session.query<{ n: number; sample: Record<string, unknown>[] }>(statement, params)
      return { count: Number(row.n), sample: row.sample }
    } catch (e) {
      if (e instanceof ReaderQueryError) throw new RuleQueryError(e.message, e.sqlState)
      throw e
    }
  })
}

/** Saves a rule after running it once, so that a broken query is refused with PostgreSQL's message. */
export async function saveCustomRule(
  reader: RestrictedReader,
  state: StateDb,
  input: { id?: number; name: string; description?: string; query: string; enabled: boolean; by: string; targetKey: string },
  timeoutMs: number,
): Promise<{ rule: CustomRule; count: number }> {
  const tried = await runRuleQuery(reader, input.query, timeoutMs)
  const targetKey = input.targetKey
  const values = {
    name: input.name.trim(),
    description: input.description?.trim() || null,
    query: input.query.trim(),
    enabled: input.enabled,
    updated_by: input.by,
    updated_at: sql<Date>`now()`,
    validation: RULE_VALIDATION,
    disabled_note: null,
  }
  try {
    const row = input.id
      ? await state.updateTable('integrity_rule').set(values).where('id', '=', input.id).where('target_key', '=', targetKey).returningAll().executeTakeFirst()
      : await state.insertInto('integrity_rule').values({ ...values, target_key: targetKey }).returningAll().executeTakeFirst()
    if (!row) throw new RuleQueryError(`There is no rule #${input.id}.`)
    return { rule: toRule(row), count: tried.count }
  } catch (e) {
    if (isDbError(e, '23505')) throw new RuleQueryError(`A rule named "${values.name}" already exists.`)
    throw e
  }
}

export async function deleteCustomRule(state: StateDb, id: number, targetKey: string): Promise<boolean> {
  const r = await state.deleteFrom('integrity_rule').where('id', '=', id).where('target_key', '=', targetKey).executeTakeFirst()
  return Number(r.numDeletedRows) > 0
}

/** Disables a rule saved under looser checks, when it does not pass the current ones. */
async function disableRule(state: StateDb, id: number, note: string): Promise<void> {
  await state.updateTable('integrity_rule').set({ enabled: false, disabled_note: note }).where('id', '=', id).execute()
}

/**
 * Runs every enabled rule. A rule saved under looser checks (an older RULE_VALIDATION) is
 * re-checked once here: passing marks it, failing disables it with a note the Integrity page
 * shows. A reader that cannot be used is not the rule's fault and disables nothing.
 */
export async function customRuleFindings(reader: RestrictedReader, state: StateDb, targetKey: string, timeoutMs: number): Promise<Finding[]> {
  const out: Finding[] = []
  for (const rule of (await listCustomRules(state, targetKey)).filter((r) => r.enabled)) {
    const started = Date.now()
    const base = { check: 'rule' as const, key: `custom_rule:${rule.id}`, title: rule.name, detail: { custom: true, ruleId: rule.id } }
    try {
      const { count, sample } = await runRuleQuery(reader, rule.query, timeoutMs)
      if (rule.validation < RULE_VALIDATION) {
        await state.updateTable('integrity_rule').set({ validation: RULE_VALIDATION }).where('id', '=', rule.id).execute()
      }
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
      let error = e instanceof RuleQueryError ? e.reason : e instanceof ReaderError ? e.message : cutErrorMessage((e as Error)?.message ?? String(e))
      if (e instanceof RuleQueryError && rulesFault(e) && rule.validation < RULE_VALIDATION) {
        error = `Disabled: ${SAVED_BEFORE[rule.validation] ?? SAVED_BEFORE[RULE_VALIDATION - 1]}: ${e.reason}`
        await disableRule(state, rule.id, error)
      }
      out.push(finding({ ...base, count: null, error, durationMs: Date.now() - started }))
    }
  }
  return out
}
