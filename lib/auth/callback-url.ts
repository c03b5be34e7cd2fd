/** A made-up origin to resolve against: only what stays on it is a path of this dashboard. */
const BASE = 'http://dashboard.invalid'

/**
 * Where to go after signing in: the callbackUrl as a path on this dashboard, or the overview.
 * Parsed as the browser will parse it, so `/\evil.example`, `/<tab>/evil.example` and other
 * spellings of another host are refused, and the result never starts with `//`.
 */
export function safeCallbackPath(raw: string | null | undefined, fallback = '/overview'): string {
  if (!raw) return fallback
  let url: URL
  try {
    url = new URL(raw, BASE)
  } catch {
    return fallback
  }
  if (url.origin !== BASE) return fallback
  const path = url.pathname + url.search + url.hash
  return path.startsWith('/') && !path.startsWith('//') && !path.startsWith('/\\') ? path : fallback
}
