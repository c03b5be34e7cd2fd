import type { ServerResponse } from 'node:http'

/**
 * Next drops Content-Length from a route handler's Response (its send-response.js forbids the
 * header because a fetched body may have been decoded on the way) and sends the body chunked. A
 * backup download knows its length, and browsers need it to show progress and the size, so the
 * route hands the length over under this name and scripts/web-server.ts puts it back.
 */
export const PASSED_LENGTH = 'x-dbadmin-content-length'

/** The headers of a Response whose body has a known length, with that length under PASSED_LENGTH. */
export function passContentLength(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    out[name.toLowerCase() === 'content-length' ? PASSED_LENGTH : name] = value
  }
  return out
}

/** Makes a response turn PASSED_LENGTH, when Next sets it, back into Content-Length (a decimal, or it is dropped). */
export function restoreContentLength(res: ServerResponse): void {
  const setHeader = res.setHeader.bind(res)
  res.setHeader = (name: string, value: number | string | readonly string[]) => {
    if (name.toLowerCase() !== PASSED_LENGTH) return setHeader(name, value)
    const length = String(Array.isArray(value) ? value[0] : value)
    return /^\d{1,16}$/.test(length) ? setHeader('content-length', length) : res
  }
}
