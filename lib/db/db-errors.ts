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
  const message = (err?.message ?? String(e)).replace(/postgres(ql)?:\/\/\S+/g, '[url]')
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
  return parts.join('\n').replace(/postgres(ql)?:\/\/\S+/g, '[url]')
}
