import { ActionError } from './action-result'

/** The largest body a mutating route reads; bigger ones are refused before they are read. */
export const MAX_BODY_BYTES = 1024 * 1024

function originOf(url: string): string | null {
  try {
    const parsed = new URL(url)
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.origin : null
  } catch {
    return null
  }
}

/**
 * The origins this dashboard answers on: the one the request was sent to (Host, or X-Forwarded-Host
 * and -Proto when the web server kept them from a trusted proxy) and the configured public URL.
 */
export function ownOrigins(headers: Headers, publicUrl: string | null): string[] {
  const host = headers.get('x-forwarded-host') ?? headers.get('host')
  const proto = (headers.get('x-forwarded-proto') ?? 'http').split(',')[0].trim()
  const origins = [host ? originOf(`${proto}://${host}`) : null, publicUrl ? originOf(publicUrl) : null]
  return [...new Set(origins.filter((o): o is string => o !== null))]
}

/**
 * Why a request must be refused as sent by another site, or null. Browsers name the sending page in
 * Origin (every cross-origin POST has it); without it Sec-Fetch-Site, then Referer decide. A request
 * with none of them comes from a script or a tool, not from a page in a victim's browser.
 */
export function crossSiteRefusal(headers: Headers, allowed: string[]): string | null {
  const origin = headers.get('origin')
  if (origin !== null) {
    return allowed.includes(originOf(origin) ?? '') ? null : 'This request came from another site and was refused.'
  }
  const site = headers.get('sec-fetch-site')
  if (site !== null) return site === 'same-origin' ? null : 'This request came from another site and was refused.'
  const referer = headers.get('referer')
  if (referer !== null && !allowed.includes(originOf(referer) ?? '')) return 'This request came from another site and was refused.'
  return null
}

/**
 * The raw body, read only up to `maxBytes`: a larger declared or streamed body is refused without
 * reading the rest.
 */
export async function readBodyUpTo(request: Request, maxBytes: number): Promise<Buffer> {
  const tooLarge = () => new ActionError('too_large', `The body is larger than ${Math.round(maxBytes / 1024)} KB.`)
  const declared = Number(request.headers.get('content-length') ?? NaN)
  if (declared > maxBytes) throw tooLarge()
  const chunks: Uint8Array[] = []
  let size = 0
  if (request.body) {
    const reader = request.body.getReader()
    while (true) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.byteLength
      if (size > maxBytes) {
        await reader.cancel().catch(() => {})
        throw tooLarge()
      }
      chunks.push(value)
    }
  }
  return Buffer.concat(chunks)
}

/**
 * The JSON body of a mutating route, read only up to `maxBytes` and only when sent as
 * application/json, which no cross-site form can send and no cross-site script can send without
 * CORS approval.
 */
export async function readJsonBody(request: Request, maxBytes = MAX_BODY_BYTES): Promise<unknown> {
  const type = (request.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase()
  if (type !== 'application/json') {
    throw new ActionError('unsupported_media_type', 'Send the body as JSON with Content-Type: application/json.')
  }
  const text = (await readBodyUpTo(request, maxBytes)).toString('utf8')
  if (!text.trim()) return undefined
  try {
    return JSON.parse(text)
  } catch {
    throw new ActionError('invalid_input', 'The body is not valid JSON.')
  }
}
