import type { IncomingHttpHeaders } from 'node:http'

/** Headers a client may send to claim another address, host or scheme. */
const FORWARDED_HEADERS = ['x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'forwarded', 'x-real-ip']

/**
 * Run by the web server (scripts/web-server.ts) on every request before Next sees it. Next only
 * fills `X-Forwarded-For` when it is missing, so a client's own header would replace the socket's
 * address. With no trusted proxy (`trustProxy` 0) every forwarded header is dropped and the socket's
 * address becomes the whole chain; behind N trusted proxies the socket's address is appended, so the
 * chain always ends with the one address no client can choose.
 */
export function rewriteForwardedHeaders(headers: IncomingHttpHeaders, socketAddress: string | undefined, trustProxy: number): void {
  const peer = socketAddress ?? ''
  if (trustProxy <= 0) {
    for (const name of FORWARDED_HEADERS) delete headers[name]
    if (peer) headers['x-forwarded-for'] = peer
    return
  }
  const raw = headers['x-forwarded-for']
  const chain = (Array.isArray(raw) ? raw.join(',') : (raw ?? '')).trim()
  headers['x-forwarded-for'] = [chain, peer].filter(Boolean).join(', ')
}

/**
 * The client address for rate limiting and the audit log, from the chain the web server left in
 * X-Forwarded-For: its last entry is the socket's peer; each trusted proxy hop moves one entry to
 * the left (a longer chain's earlier entries came from the client and are ignored).
 */
export function clientIpFrom(
  headers: { get(name: string): string | null } | Record<string, unknown>,
  trustProxy: number,
): string | null {
  const raw =
    typeof (headers as { get?: unknown }).get === 'function'
      ? (headers as { get(name: string): string | null }).get('x-forwarded-for')
      : ((headers as Record<string, unknown>)['x-forwarded-for'] as string | undefined)
  const chain = String(raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  if (chain.length === 0) return null
  const picked = chain[Math.max(0, chain.length - 1 - Math.max(0, trustProxy))]
  return picked.replace(/^::ffff:/, '').slice(0, 100)
}
