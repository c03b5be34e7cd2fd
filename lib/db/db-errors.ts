import { AppError } from '../errors'
import { redactUrls } from '../redact-urls'

/** What node-postgres throws: PostgreSQL's SQLSTATE (23505) or a network code (ECONNREFUSED) with its message. */
export interface DbError {
  code: string
  message: string
  detail?: string
  constraint?: string
}

/**
 * True for an error from the database or from reaching it: one with a string `code` that is not
 * one of our own AppErrors. With `code`, only that SQLSTATE (e.g. '23505', a unique violation).
 */
export function isDbError(e: unknown, code?: string): e is DbError {
  const c = (e as { code?: unknown } | null)?.code
  if (typeof c !== 'string' || e instanceof AppError) return false
  return code === undefined || c === code
}

/**
 * A short, safe description of a database error for the screen: the SQLSTATE or network code and
 * PostgreSQL's own message, never connection strings or stack traces.
 */
export function describeDbError(e: unknown): string {
  const err = e as { code?: string; message?: string; errors?: unknown[] }
  if (err?.code === 'ECONNREFUSED') return 'connection refused'
  if (err?.code === 'ENOTFOUND') return 'host not found'
  if (err?.code === 'ETIMEDOUT') return 'connection timed out'
  if (err?.code === '28P01' || err?.code === '28000') return 'authentication failed'
  if (err?.code === '3D000') return 'database does not exist'
  if (err?.code === '57014') return 'query cancelled by statement timeout'
  if (Array.isArray(err?.errors) && err.errors.length) return describeDbError(err.errors[0])
  const message = redactUrls(err?.message ?? String(e))
  return (err?.code ? `${err.code}: ` : '') + message.slice(0, 200)
}

/** Replaced by the table and the blocking session where they are known (lib/migrations/lock-wait.ts). */
export const LOCK_TIMEOUT_ADVICE =
  'It waited longer than lock_timeout for a lock another session holds on the same table. Nothing was changed; find the blocking session (pg_stat_activity) and try again.'

const ADVICE: Record<string, string> = {
  '55P03': LOCK_TIMEOUT_ADVICE,
  '57014': 'It ran longer than statement_timeout and was cancelled. Nothing was changed.',
}

/**
 * The whole PostgreSQL error for people who must act on it (migration failures, the audit log):
 * message, SQLSTATE, detail, hint, context and position, plus what to do for common codes.
 */
export function fullDbError(e: unknown): string {
  const err = e as { message?: string; code?: string; detail?: string; hint?: string; where?: string; position?: string }
  const parts = [err?.message ?? String(e)]
  if (err?.code) parts.push(`SQLSTATE ${err.code}`)
  if (err?.detail) parts.push(`Detail: ${err.detail}`)
  if (err?.hint) parts.push(`Hint: ${err.hint}`)
  if (err?.where) parts.push(`Context: ${err.where}`)
  if (err?.position) parts.push(`Position: ${err.position}`)
  if (err?.code && ADVICE[err.code]) parts.push(ADVICE[err.code])
  return redactUrls(parts.join('\n'))
}

/** Words after which PostgreSQL quotes a name, not a value: `relation "x"`, `constraint "c"`, `near "SELECT"`. */
const NAME_BEFORE_QUOTE =
  /\b(relation|enum|column|columns|constraint|table|type|index|schema|database|role|sequence|encoding|function|view|trigger|extension|operator|collation|domain|attribute|tablespace|savepoint|cursor|parameter|policy|rule|statistics|server|publication|subscription|near|of|on|migration|check|file)\s+$/i

/**
 * An error text with the row values PostgreSQL quotes in it replaced by …, for people who may not
 * see masked data: `invalid input syntax for type integer: "SECRET"`, `value "…" is out of range`,
 * `Key (email)=(…) already exists`, `Failing row contains (…)`, `Token "…" is invalid`, `JSON data,
 * line 1: …`. Quoted names (relation, column, constraint, …) stay. Values may hold quotes and line
 * breaks: a quoted value ends at a quote followed by the end of a line, a full stop or the words
 * PostgreSQL writes after one (` is `, ` for `), or else runs to the end of the text.
 */
export function withoutRowValues(text: string): string {
  let out = ''
  let i = 0
  while (i < text.length) {
    const q = text.indexOf('"', i)
    if (q < 0) {
      out += text.slice(i)
      break
    }
    out += text.slice(i, q)
    const lineEnd = text.indexOf('\n', q)
    const next = text.indexOf('"', q + 1)
    if (NAME_BEFORE_QUOTE.test(out.slice(-40)) && next > q && (lineEnd < 0 || next < lineEnd)) {
      out += text.slice(q, next + 1)
      i = next + 1
      continue
    }
    VALUE_END.lastIndex = q + 1
    const close = VALUE_END.exec(text)
    out += '"…"'
    i = close ? close.index + 1 : text.length
  }
  return out
    .replace(/\b(Key \([^\n]*?\))=\([^\n]*?\)(?= is | already exists| conflicts with|\.|$)/gm, '$1=(…)')
    .replace(/\bFailing row contains \([^\n]*/g, 'Failing row contains (…).')
    .replace(/\bJSON data, line (\d+): [^\n]*/g, 'JSON data, line $1: …')
}

/** A quote that closes a quoted value in a PostgreSQL message. */
const VALUE_END = /"(?=$|\n|\.|,| is | for | at )/g

/** A copy of `value` with withoutRowValues applied to every string under a key named `error`. */
export function hideRowValuesInErrors<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => hideRowValuesInErrors(v)) as T
  if (value === null || typeof value !== 'object' || value instanceof Date) return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) out[k] = k === 'error' && typeof v === 'string' ? withoutRowValues(v) : hideRowValuesInErrors(v)
  return out as T
}
