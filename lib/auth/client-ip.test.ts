import type { IncomingHttpHeaders } from 'node:http'
import { describe, expect, it } from 'vitest'
import { clientIpFrom, rewriteForwardedHeaders } from './client-ip'

/** What the app sees for a request from `socket` carrying `headers`, behind `trustProxy` hops. */
function seen(headers: IncomingHttpHeaders, socket: string, trustProxy: number) {
  const copy = { ...headers }
  rewriteForwardedHeaders(copy, socket, trustProxy)
  return { headers: copy, ip: clientIpFrom(copy, trustProxy) }
}

describe('forwarded headers', () => {
  it('without a trusted proxy, a client cannot name its address, host or scheme', () => {
    const forged = {
      'x-forwarded-for': '203.0.113.9, 198.51.100.1',
      'x-forwarded-host': 'evil.example',
      'x-forwarded-proto': 'https',
      'x-forwarded-port': '443',
      forwarded: 'for=203.0.113.9',
      'x-real-ip': '203.0.113.9',
      host: 'localhost:3000',
    }
    const { headers, ip } = seen(forged, '::ffff:127.0.0.1', 0)
    expect(ip).toBe('127.0.0.1')
    expect(headers).toEqual({ 'x-forwarded-for': '::ffff:127.0.0.1', host: 'localhost:3000' })
    expect(seen({}, '192.0.2.4', 0).ip).toBe('192.0.2.4')
  })

  it('behind N trusted proxies, the entry N hops from the socket is the client', () => {
    // Client → proxy A (adds the client) → proxy B (adds A) → dashboard (socket is B).
    expect(seen({ 'x-forwarded-for': '198.51.100.7' }, '10.0.0.2', 1).ip).toBe('198.51.100.7')
    expect(seen({ 'x-forwarded-for': '198.51.100.7, 10.0.0.1' }, '10.0.0.2', 2).ip).toBe('198.51.100.7')
    // What the client put in front of the chain is ignored.
    expect(seen({ 'x-forwarded-for': '6.6.6.6, 198.51.100.7' }, '10.0.0.2', 1).ip).toBe('198.51.100.7')
    // Headers of a trusted proxy are kept.
    expect(seen({ 'x-forwarded-proto': 'https', 'x-forwarded-host': 'db.example.org' }, '10.0.0.2', 1).headers).toMatchObject({
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'db.example.org',
      'x-forwarded-for': '10.0.0.2',
    })
    // A request that bypassed the proxy (no header) is the socket's own address.
    expect(seen({}, '10.0.0.9', 1).ip).toBe('10.0.0.9')
  })

  it('reads Headers objects as well as plain records, and nothing when there is no chain', () => {
    expect(clientIpFrom(new Headers({ 'x-forwarded-for': '192.0.2.1, 192.0.2.2' }), 0)).toBe('192.0.2.2')
    expect(clientIpFrom({}, 0)).toBeNull()
  })
})
