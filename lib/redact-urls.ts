/** A postgres:// or postgresql:// URL, up to the next blank or quote. */
const DB_URL = /postgres(ql)?:\/\/[^\s'"]+/g

/**
 * `text` with every database URL in it replaced by `replacement`: a URL may carry its password,
 * and error texts from drivers and tools quote the URL they were given.
 */
export function redactUrls(text: string, replacement = '[url]'): string {
  return text.replace(DB_URL, replacement)
}
