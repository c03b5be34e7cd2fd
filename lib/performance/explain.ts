import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { protectedReadsInPlan, protectedReadsMessage, textRefusal } from '../db/protected-catalogs'
import { ReaderQueryError } from '../db/restricted-reader'
import { DASHBOARD_SQL_TAG } from './access'
import { PerformanceError } from './performance-error'
import { type ParsedPlan, parsePlan } from './plan-tree'
import { analyzeRefusal } from './sql-words'
import { THRESHOLDS } from './thresholds'

/**
 * The connection EXPLAIN runs on: the restricted read-only reader (a role that can read, not
 * write), as a pool or one client. It is node-postgres rather than Kysely because the statement
 * must go through the extended protocol even without parameters (so that it can only ever be one
 * statement), which only node-postgres' queryMode offers.
 */
export type ExplainConnection = pg.Pool | pg.ClientBase

export interface ExplainRequest {
  /** One statement, e.g. from pg_stat_statements with $1, $2 … for its constants. */
  statement: string
  /** Text values for $1, $2 … (null for NULL). Absent: the generic plan, for any values. */
  params?: (string | null)[]
  /** Run it (a single SELECT only) and report actual times, rows and buffers. */
  analyze?: boolean
  /** statement_timeout; default THRESHOLDS.explainTimeoutMs. */
  timeoutMs?: number
}

export interface ExplainResult {
  mode: 'generic' | 'custom' | 'analyze'
  statement: string
  /** The types PostgreSQL inferred for $1, $2 …, as it names them. */
  parameterTypes: string[]
  plan: ParsedPlan
  /** EXPLAIN's own JSON, for download or another viewer. */
  json: unknown
}

const MAX_STATEMENT = 100_000

/**
 * One statement at a time inside a READ ONLY transaction that its owner rolls back: the shape of
 * the restricted reader's session (`withReadOnlySession` in lib/db/restricted-reader.ts), whose
 * query() takes one statement through the extended protocol with bound parameters.
 */
export interface ExplainSession {
  query<R = Record<string, unknown>>(text: string, params: readonly unknown[]): Promise<R[]>
}

function checkRequest(req: ExplainRequest): string {
  const statement = req.statement.trim().replace(/[;\s]+$/, '')
  if (!statement) throw new PerformanceError('invalid_input', 'There is no statement to explain.')
  if (statement.length > MAX_STATEMENT) throw new PerformanceError('invalid_input', `The statement is longer than ${MAX_STATEMENT} characters.`)
  if (req.analyze) {
    const refusal = analyzeRefusal(statement) ?? textRefusal(statement, ANALYZE_READS_ONLY)
    if (refusal) throw new PerformanceError('refused', refusal)
  }
  return statement
}

/** What a statement refused for what it reads is told (lib/db/protected-catalogs.ts). */
const ANALYZE_READS_ONLY = 'EXPLAIN ANALYZE runs statements that read table data only (EXPLAIN without ANALYZE shows the plan)'

const parameterList = (types: string[]) => types.map((t, i) => `$${i + 1} ${t}`).join(', ')
const plural = (n: number, one: string, many: string) => (n === 1 ? one : many)

/**
 * EXPLAIN of one statement in a session that is already READ ONLY, timed out and rolled back by
 * its owner (the restricted reader's, or explainStatement's own). The text is first prepared to
 * learn its parameters (PREPARE goes through the extended protocol too, so it is one statement).
 * Without values it shows the generic plan (plan_cache_mode = force_generic_plan and EXPLAIN
 * EXECUTE with NULLs: how PostgreSQL 12–15 give what 16 calls EXPLAIN (GENERIC_PLAN)); with
 * values, the plan for those values.
 *
 * ANALYZE executes the statement, so it is allowed only for a single SELECT: refused before it
 * runs when the text is not a query or has SELECT … INTO, and when its plan holds a write (a
 * data-modifying CTE) or row locks, or reads a system catalog PUBLIC may not read (the reader's
 * pg_read_all_data would let it). The read-only transaction and the reader's role stay as the
 * last guards.
 */
export async function explainInSession(session: ExplainSession, req: ExplainRequest): Promise<ExplainResult> {
  const statement = checkRequest(req)
  const q = <R = Record<string, unknown>>(text: string, params: readonly unknown[] = []) => session.query<R>(`${DASHBOARD_SQL_TAG} ${text}`, params)
  const name = `dbadmin_explain_${randomBytes(6).toString('hex')}`
  try {
    await q(`prepare ${name} as ${statement}`)
  } catch (e) {
    throw explainError(e)
  }
  try {
    const types = (await q<{ types: string[] }>('select parameter_types::text[] as types from pg_prepared_statements where name = $1', [name]))[0].types
    const params = req.params
    if (params && params.length !== types.length) {
      const given = `${params.length} ${plural(params.length, 'value was', 'values were')} given`
      throw new PerformanceError(
        'invalid_input',
        types.length
          ? `The statement has ${types.length} ${plural(types.length, 'parameter', 'parameters')} (${parameterList(types)}); ${given}.`
          : `The statement has no parameters; ${given}.`,
      )
    }
    if (req.analyze && !params && types.length) {
      throw new PerformanceError(
        'invalid_input',
        `EXPLAIN ANALYZE runs the statement: give values for its ${types.length} ${plural(types.length, 'parameter', 'parameters')} (${parameterList(types)}).`,
      )
    }
    try {
      if (!params && types.length) {
        await q(`select set_config('plan_cache_mode', 'force_generic_plan', true)`)
        const nulls = types.map(() => 'null').join(', ')
        const json = firstColumn((await q(`explain (format json, verbose, settings) execute ${name}(${nulls})`))[0])
        return { mode: 'generic', statement, parameterTypes: types, plan: parsePlan(json), json }
      }
      const values = params ?? []
      const plain = firstColumn((await q(`explain (format json, verbose, settings) ${statement}`, values))[0])
      if (!req.analyze) return { mode: 'custom', statement, parameterTypes: types, plan: parsePlan(plain), json: plain }
      const writes = parsePlan(plain).writes
      if (writes.length) {
        throw new PerformanceError(
          'refused',
          `EXPLAIN ANALYZE runs the statement, and its plan writes (${writes.join(', ')}): only a single SELECT without data-modifying WITH or FOR UPDATE is analysed. Use EXPLAIN without ANALYZE to see its plan.`,
        )
      }
      // The reader's pg_read_all_data skips the ACLs of pg_authid and the like: run, such a
      // statement could time or fail on what they hold (a password hash).
      const reads = await protectedReadsInPlan({ query: q }, plain)
      if (reads.length) throw new PerformanceError('refused', protectedReadsMessage(reads, ANALYZE_READS_ONLY))
      const json = firstColumn((await q(`explain (analyze, buffers, format json, verbose, settings) ${statement}`, values))[0])
      return { mode: 'analyze', statement, parameterTypes: types, plan: parsePlan(json), json }
    } catch (e) {
      throw explainError(e)
    }
  } finally {
    // Fails in an aborted transaction; the owner then deallocates after its rollback, or closes the session.
    await q(`deallocate ${name}`).catch(() => {})
  }
}

/**
 * explainInSession on a connection of its own making: a READ ONLY transaction with the statement
 * timeout (default THRESHOLDS.explainTimeoutMs), rolled back, the prepared statement and any
 * session-level advisory lock released after. Give it the restricted reader's pool or client: a
 * role that can read, not write.
 */
export async function explainStatement(conn: ExplainConnection, req: ExplainRequest): Promise<ExplainResult> {
  checkRequest(req)
  const timeoutMs = req.timeoutMs ?? THRESHOLDS.explainTimeoutMs.value
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new PerformanceError('invalid_input', 'The timeout must be a whole number of milliseconds.')
  const pooled = conn instanceof pg.Pool
  const client: pg.ClientBase = pooled ? await conn.connect() : conn
  const session: ExplainSession = { query: async (text, params) => (await extended(client, text, params)).rows }
  let broken: Error | undefined
  try {
    await simple(client, 'begin transaction read only')
    await extended(client, `${DASHBOARD_SQL_TAG} select set_config('statement_timeout', $1, true)`, [String(timeoutMs)])
    return await explainInSession(session, req)
  } catch (e) {
    if (!(e instanceof PerformanceError) && isConnectionError(e)) broken = e as Error
    throw e
  } finally {
    if (!broken) {
      try {
        await simple(client, 'rollback')
        const left = await extended<{ name: string }>(client, `${DASHBOARD_SQL_TAG} select name from pg_prepared_statements where name like 'dbadmin\\_explain\\_%'`, [])
        for (const { name } of left.rows) await simple(client, `deallocate ${name}`)
        // A session-level advisory lock taken by the statement would outlive the rollback.
        await simple(client, 'select pg_advisory_unlock_all()')
      } catch (e) {
        broken = e as Error
      }
    }
    if (pooled) (client as pg.PoolClient).release(broken)
  }
}

/** One statement through the extended protocol (queryMode is in pg, not yet in its type definitions). */
function extended<R extends pg.QueryResultRow = any>(client: pg.ClientBase, text: string, values: readonly unknown[]): Promise<pg.QueryResult<R>> {
  return client.query<R>({ text, values: [...values], queryMode: 'extended' } as pg.QueryConfig)
}

/** The wrapper's own statements, tagged as the dashboard's like every statement of lib/performance. */
function simple(client: pg.ClientBase, text: string): Promise<pg.QueryResult> {
  return client.query(`${DASHBOARD_SQL_TAG} ${text}`)
}

function firstColumn(row: Record<string, unknown> | undefined): unknown {
  return row ? Object.values(row)[0] : undefined
}

function isConnectionError(e: unknown): boolean {
  const err = sqlStateOf(e)
  return !err?.code || /^(08|57P)/.test(err.code)
}

/** The SQLSTATE as `code`: pg's error has it there, the restricted reader's ReaderQueryError as `sqlState`. */
function sqlStateOf(e: unknown): { code?: string; message?: string } | undefined {
  if (e instanceof ReaderQueryError) return { code: e.sqlState, message: e.message }
  return e as { code?: string; message?: string } | undefined
}

/** PostgreSQL's refusals as messages for the page; nothing ran or everything was rolled back. */
function explainError(e: unknown): unknown {
  if (e instanceof PerformanceError) return e
  const err = sqlStateOf(e)
  const message = err?.message ?? String(e)
  if (err?.code === '42601' && /multiple commands/.test(message)) return new PerformanceError('refused', 'Only one statement can be explained at a time.')
  if (err?.code === '42601') return new PerformanceError('invalid_input', `Only SELECT, INSERT, UPDATE, DELETE or VALUES statements can be explained: ${message}`)
  if (err?.code === '57014') return new PerformanceError('refused', 'The statement ran longer than the EXPLAIN timeout and was cancelled; nothing was changed.')
  if (err?.code === '25006') return new PerformanceError('refused', `The statement tried to write in a read-only transaction and was stopped: ${message}`)
  if (err?.code === '42501') return new PerformanceError('not_permitted', `The EXPLAIN connection's role may not do that: ${message}`)
  if (err?.code && /^(22|42)/.test(err.code)) return new PerformanceError('invalid_input', message)
  return e
}
