import { type Kysely, sql } from 'kysely'
import { looksSecret } from '../db/secret-names'
import type { RelationInfo } from './types'

export const PREVIEW_LIMIT = 50
/** Longer values are cut; the page says so. */
export const PREVIEW_MAX_CHARS = 120

export interface PreviewColumn {
  name: string
  type: string
  /** A secret-looking column whose values are withheld unless an admin reveals them. */
  masked: boolean
  /** bytea columns are shown as their size, never fetched. */
  bytes: boolean
  key: boolean
}

export type PreviewCell = null | { text: string; truncated?: boolean; masked?: boolean; bytes?: number }

export interface Preview {
  columns: PreviewColumn[]
  rows: PreviewCell[][]
  orderedBy: string[]
  limit: number
}

/** Primary key columns first, then the others in table order. */
function previewColumns(rel: RelationInfo): PreviewColumn[] {
  const keys = rel.primaryKey?.columns ?? []
  const ordered = [
    ...keys.map((k) => rel.columns.find((c) => c.name === k)!).filter(Boolean),
    ...rel.columns.filter((c) => !keys.includes(c.name)),
  ]
  return ordered.map((c) => ({
    name: c.name,
    type: c.type,
    masked: looksSecret(c.name),
    bytes: c.typeName === 'bytea',
    key: keys.includes(c.name),
  }))
}

/**
 * The first rows of a table or view, safe for a screen: only the first characters of each value
 * are read, bytea as its length, and secret-looking columns only as set/NULL unless revealed.
 */
export async function previewRows(
  db: Kysely<any>,
  rel: RelationInfo,
  opts: { reveal?: boolean; limit?: number } = {},
): Promise<Preview> {
  const columns = previewColumns(rel)
  const limit = Math.min(Math.max(opts.limit ?? PREVIEW_LIMIT, 1), 500)
  if (columns.length === 0) return { columns, rows: [], orderedBy: [], limit }
  const select = columns.map((c, i) => {
    const col = sql.id(c.name)
    const value = c.bytes
      ? sql`octet_length(${col})::text`
      : c.masked && !opts.reveal
        ? sql`case when ${col} is null then null else '' end`
        : sql`left(${col}::text, ${PREVIEW_MAX_CHARS + 1})`
    return sql`${value} as ${sql.id('c' + i)}`
  })
  const orderedBy = rel.primaryKey?.columns ?? []
  const order = orderedBy.length ? sql`order by ${sql.join(orderedBy.map((c) => sql.id(c)))}` : sql``
  const { rows } = await sql<Record<string, string | null>>`
    select ${sql.join(select)} from ${sql.id(rel.schema, rel.name)} ${order} limit ${limit}
  `.execute(db)
  return {
    columns,
    orderedBy,
    limit,
    rows: rows.map((row) =>
      columns.map((c, i): PreviewCell => {
        const v = row['c' + i]
        if (v === null || v === undefined) return null
        if (c.bytes) return { text: `${v} bytes`, bytes: Number(v) }
        if (c.masked && !opts.reveal) return { text: '••••••', masked: true }
        return v.length > PREVIEW_MAX_CHARS ? { text: v.slice(0, PREVIEW_MAX_CHARS), truncated: true } : { text: v }
      }),
    ),
  }
}
