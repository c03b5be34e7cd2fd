/** A byte range of a resource, both ends inclusive, as HTTP has them. */
export interface ByteRange {
  start: number
  end: number
}

/**
 * Reads a Range header for a resource of `size` bytes (RFC 9110 §14): one `bytes=` range, from-to,
 * from- or -suffix. Returns null to serve the whole resource (no header, another unit, several
 * ranges, or a malformed one: all may be ignored), or 'unsatisfiable' for a well-formed range that
 * lies outside the resource (416).
 */
export function parseRange(header: string | null | undefined, size: number): ByteRange | 'unsatisfiable' | null {
  if (!header) return null
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header)
  if (!m || (m[1] === '' && m[2] === '')) return null
  if (m[1] === '') {
    const suffix = Number(m[2])
    if (suffix === 0) return 'unsatisfiable'
    return size === 0 ? 'unsatisfiable' : { start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(m[1])
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1)
  if (m[2] !== '' && Number(m[2]) < start) return null
  if (start >= size) return 'unsatisfiable'
  return { start, end }
}
