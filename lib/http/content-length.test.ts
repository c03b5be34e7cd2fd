import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { PASSED_LENGTH, passContentLength, restoreContentLength } from './content-length'

let server: http.Server | undefined
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())))

/** A real HTTP exchange where the handler sets headers the way Next's sendResponse does (setHeader with an array). */
async function exchange(headers: Record<string, string>, body: Buffer, restore: boolean): Promise<http.IncomingMessage & { body: Buffer }> {
  server = http.createServer((req, res) => {
    if (restore) restoreContentLength(res)
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, [value])
    res.flushHeaders()
    res.end(body)
  })
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return new Promise((resolve, reject) => {
    http.get({ port, host: '127.0.0.1' }, (res) => {
      const parts: Buffer[] = []
      res.on('data', (c: Buffer) => parts.push(c))
      res.on('end', () => resolve(Object.assign(res, { body: Buffer.concat(parts) })))
    }).on('error', reject)
  })
}

describe('Content-Length through Next', () => {
  it('moves Content-Length aside, whatever its case, and keeps the other headers', () => {
    expect(passContentLength({ 'Content-Length': '10', 'Content-Type': 'a/b' })).toEqual({ [PASSED_LENGTH]: '10', 'Content-Type': 'a/b' })
    expect(passContentLength({ 'content-length': '0' })).toEqual({ [PASSED_LENGTH]: '0' })
  })

  it('sends the passed length as Content-Length, not chunked, and not the private header', async () => {
    const body = Buffer.from('0123456789')
    const res = await exchange({ [PASSED_LENGTH]: '10', 'content-type': 'application/octet-stream' }, body, true)
    expect(res.headers['content-length']).toBe('10')
    expect(res.headers['transfer-encoding']).toBeUndefined()
    expect(res.headers[PASSED_LENGTH]).toBeUndefined()
    expect(res.body.equals(body)).toBe(true)
  })

  it('without the restore the body goes chunked with no length (what Next does to a route)', async () => {
    const res = await exchange({ 'content-type': 'application/octet-stream' }, Buffer.from('abc'), false)
    expect(res.headers['content-length']).toBeUndefined()
    expect(res.headers['transfer-encoding']).toBe('chunked')
  })

  it('drops a passed length that is not a decimal number rather than send it', async () => {
    const res = await exchange({ [PASSED_LENGTH]: '10, 11' }, Buffer.from('abc'), true)
    expect(res.headers['content-length']).toBeUndefined()
    expect(res.headers[PASSED_LENGTH]).toBeUndefined()
    expect(res.body.toString()).toBe('abc')
  })
})
