import type { TableName } from './types'

/**
 * `schema.table`, or `table` in public, as the page's fields and the CLI's --table take it; a
 * quoted part may hold dots and quotes: `"my.schema"."Order; DROP TABLE x;--"`.
 */
export function parseTableName(text: string): TableName | null {
  const m = /^(?:("(?:[^"]|"")+"|[^".]+)\.)?("(?:[^"]|"")+"|[^".]+)$/.exec(text.trim())
  if (!m) return null
  const unquote = (s: string) => (s.startsWith('"') ? s.slice(1, -1).replaceAll('""', '"') : s)
  return { schema: m[1] ? unquote(m[1]) : 'public', table: unquote(m[2]) }
}
