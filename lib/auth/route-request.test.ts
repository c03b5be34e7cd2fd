import { describe, expect, it } from 'vitest'
import { ActionError } from './action-result'
import { crossSiteRefusal, MAX_BODY_BYTES, ownOrigins, readJsonBody } from './route-request'

const OWN = ['http://localhost:3000']

describe('crossSiteRefusal', () => {
  it('accepts the dashboard itself and requests without browser markers (scripts)', () => {
    expect(crossSiteRefusal(new Headers({ origin: 'http://localhost:3000' }), OWN)).toBeNull()
    expect(crossSiteRefusal(new Headers({ 'sec-fetch-site': 'same-origin' }), OWN)).toBeNull()
    expect(crossSiteRefusal(new Headers({ referer: 'http://localhost:3000/users' }), OWN)).toBeNull()
    expect(crossSiteRefusal(new Headers({}), OWN)).toBeNull()
  })

  it.each<Record<string, string>>([
    { origin: 'https://evil.example' },
    { origin: 'http://localhost:4000' },
    { origin: 'null' },
    { origin: 'https://localhost:3000' },
    { 'sec-fetch-site': 'same-site' },
    { 'sec-fetch-site': 'cross-site' },
    { 'sec-fetch-site': 'none' },
    { referer: 'http://localhost:4000/form.html' },
    { origin: 'https://evil.example', 'sec-fetch-site': 'same-origin' },
  ])('refuses %j', (headers) => {
    expect(crossSiteRefusal(new Headers(headers), OWN)).toBe('This request came from another site and was refused.')
  })

  it('takes the origins from Host, forwarded host and scheme, and the public URL', () => {
    expect(ownOrigins(new Headers({ host: 'localhost:3000' }), null)).toEqual(['http://localhost:3000'])
    expect(ownOrigins(new Headers({ host: '127.0.0.1:3000', 'x-forwarded-host': 'db.example.org', 'x-forwarded-proto': 'https' }), 'https://db.example.org/')).toEqual([
      'https://db.example.org',
    ])
    expect(ownOrigins(new Headers({ host: '127.0.0.1:3000' }), 'https://db.example.org')).toEqual(['http://127.0.0.1:3000', 'https://db.example.org'])
  })
})

async function refusal(promise: Promise<unknown>): Promise<ActionError> {
  const error = await promise.then(
    () => new Error('the body was accepted'),
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(ActionError)
  return error as ActionError
}

const post = (body: BodyInit | null, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  new Request('http://localhost:3000/api/users', { method: 'POST', body, headers, duplex: 'half' } as RequestInit)

describe('readJsonBody', () => {
  it('parses JSON sent as application/json', async () => {
    expect(await readJsonBody(post('{"a":1}'))).toEqual({ a: 1 })
    expect(await readJsonBody(post('{"a":1}', { 'content-type': 'application/json; charset=utf-8' }))).toEqual({ a: 1 })
    expect(await readJsonBody(post(''))).toBeUndefined()
  })

  it('refuses other content types, which a cross-site form or script could send', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      expect((await refusal(readJsonBody(post('{"a":1}', { 'content-type': type })))).code).toBe('unsupported_media_type')
    }
    expect((await refusal(readJsonBody(post('{"a":1}', {})))).code).toBe('unsupported_media_type')
  })

  it('refuses bad JSON', async () => {
    expect(await refusal(readJsonBody(post('{"a":')))).toMatchObject({ code: 'invalid_input', message: 'The body is not valid JSON.' })
  })

  it('refuses a body over the cap, declared or streamed, without reading the rest', async () => {
    const declared = post('{}', { 'content-type': 'application/json', 'content-length': String(64 * 1024 * 1024) })
    expect((await refusal(readJsonBody(declared))).code).toBe('too_large')

    let pulled = 0
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++
        controller.enqueue(new Uint8Array(64 * 1024).fill(32))
      },
    })
    expect(await refusal(readJsonBody(post(endless)))).toMatchObject({ code: 'too_large', message: 'The body is larger than 1024 KB.' })
    expect(pulled * 64 * 1024).toBeLessThan(MAX_BODY_BYTES + 256 * 1024)
    expect(await readJsonBody(post(JSON.stringify({ s: 'x'.repeat(MAX_BODY_BYTES - 20) })))).toHaveProperty('s')
  })
})
