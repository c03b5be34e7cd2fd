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
