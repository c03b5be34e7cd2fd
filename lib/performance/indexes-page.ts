import type { Kysely } from 'kysely'
import { type IndexFindings, readIndexesWithFindings } from './index-findings'
import { type IndexInfo, indexDefinitions } from './indexes'

export const INDEX_SORTS = ['name', 'table', 'scans', 'read', 'fetched', 'size'] as const
export type IndexSort = (typeof INDEX_SORTS)[number]

export interface IndexPageOptions {
  sort?: IndexSort
  direction?: 'asc' | 'desc'
  /** Case-insensitive text the index or table name (schema-qualified) must contain. */
  search?: string
  limit: number
  offset?: number
}

export interface IndexesPage extends IndexFindings {
  /** The requested page, sorted and filtered, each with its definition. */
  indexes: IndexInfo[]
  /** Indexes matching the filter; all indexes outside the system schemas. */
  matched: number
  total: number
}

const KEY: Record<IndexSort, (ix: IndexInfo) => string | number> = {
  name: (ix) => ix.qualifiedName,
  table: (ix) => ix.qualifiedTable,
  scans: (ix) => ix.scans ?? -1,
  read: (ix) => ix.tuplesRead ?? -1,
  fetched: (ix) => ix.tuplesFetched ?? -1,
  size: (ix) => ix.sizeBytes,
}

export const defaultIndexDirection = (sort: IndexSort): 'asc' | 'desc' => (sort === 'name' || sort === 'table' ? 'asc' : 'desc')

/** Sort and filter on the server; ties fall back to the qualified name so pages never overlap. */
export function pageOfIndexes(indexes: readonly IndexInfo[], opts: IndexPageOptions): { rows: IndexInfo[]; matched: number } {
  const sort = opts.sort ?? 'name'
  const sign = (opts.direction ?? defaultIndexDirection(sort)) === 'asc' ? 1 : -1
  const needle = opts.search?.toLowerCase()
  const matching = needle ? indexes.filter((ix) => ix.qualifiedName.toLowerCase().includes(needle) || ix.qualifiedTable.toLowerCase().includes(needle)) : [...indexes]
  const key = KEY[sort]
  const byName = (a: IndexInfo, b: IndexInfo) => (a.qualifiedName < b.qualifiedName ? -1 : a.qualifiedName > b.qualifiedName ? 1 : 0)
  matching.sort((a, b) => {
    const [x, y] = [key(a), key(b)]
    return (x < y ? -1 : x > y ? 1 : 0) * sign || byName(a, b)
  })
  const offset = opts.offset ?? 0
  return { rows: matching.slice(offset, offset + opts.limit), matched: matching.length }
}

/**
 * What the Indexes page shows: every finding (they need every index) and one page of the index
 * list. The catalogue is read once without definitions; pg_get_indexdef runs only for the page.
 */
export async function readIndexesPage(db: Kysely<any>, opts: IndexPageOptions): Promise<IndexesPage> {
  const all = await readIndexesWithFindings(db, { definitions: false })
  const { rows, matched } = pageOfIndexes(all.usage.indexes, opts)
  const defs = await indexDefinitions(
    db,
    rows.map((ix) => ix.oid),
  )
  return {
    findings: all.findings,
    statsResetAt: all.statsResetAt,
    indexes: rows.map((ix) => ({ ...ix, definition: defs.get(ix.oid) ?? null })),
    matched,
    total: all.usage.indexes.length,
  }
}
