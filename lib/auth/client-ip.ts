/**
 * The client address for rate limiting and the audit log. The Next server appends the socket's
 * address to X-Forwarded-For, so the last entry is the one a client cannot forge.
 */
export function clientIpFrom(headers: { get(name: string): string | null } | Record<string, unknown>): string | null {
  const raw =
    typeof (headers as { get?: unknown }).get === 'function'
      ? (headers as { get(name: string): string | null }).get('x-forwarded-for')
      : ((headers as Record<string, unknown>)['x-forwarded-for'] as string | undefined)
  const last = String(raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .pop()
  return last ? last.replace(/^::ffff:/, '') : null
}
