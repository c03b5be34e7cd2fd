import Link from 'next/link'
import type { ReactNode } from 'react'
import { formatBytes, formatCount, formatMs, formatTimestamp } from '@/lib/format/units'

// The one table of the dashboard. No hooks and no 'use client': server components render it (sorting
// and paging travel in the URL, so they work without JavaScript), and client components may too.

/** How a column's plain value is written: counts and sizes right-aligned, durations in ms/s/min, UTC timestamps. */
export type CellFormat = 'count' | 'bytes' | 'duration' | 'timestamp'

export type SortDirection = 'asc' | 'desc'

export interface Column<T> {
  /** The column's identity: its React key and, when sortable, its value in the URL. */
  key: string
  label: ReactNode
  /** A plain value, written by `format` (or as text); null and undefined show as –. */
  value?: (row: T) => string | number | Date | null | undefined
  /** The cell's content, when it is more than a value (badges, links, controls). */
  cell?: (row: T) => ReactNode
  format?: CellFormat
  /** Numbers (counts, sizes, durations) are right-aligned without being told. */
  align?: 'start' | 'end'
  /** Identifiers and code: monospace, breaking anywhere rather than widening the table. */
  mono?: boolean
  /** Never break the cell's text (dates, badges). */
  nowrap?: boolean
  sortable?: boolean
  /** The first direction when this column becomes the sort (sizes and counts: largest first). */
  firstDirection?: SortDirection
  /** For rows where this cell stands for several columns (the following ones are left out). */
  span?: (row: T) => number
  className?: string
  /** Attributes of the header cell (title, data-*). */
  headerProps?: Record<string, string | undefined>
}

export interface TableSort {
  key: string
  direction: SortDirection
  /** The URL showing the table sorted by `key` in `direction` (from the first page). */
  href: (key: string, direction: SortDirection) => string
}

type RowAttributes = Record<string, string | number | boolean | undefined>

interface Props<T> {
  /** The table's accessible name (its scroll region's label and caption). */
  label: string
  /** Columns; `false` and `null` entries are left out (columns only some roles see). */
  columns: readonly (Column<T> | false | null | undefined)[]
  rows: readonly T[]
  rowKey: (row: T, index: number) => string | number
  /** data-* attributes, id, className, aria-current of each row. */
  rowProps?: (row: T) => RowAttributes
  /** Makes the whole row a link to this address: the `linkColumn` cell (else the first) holds the link. */
  rowHref?: (row: T) => string | null
  linkColumn?: string
  /** What an empty table says, with the next step to take. */
  empty: ReactNode
  sort?: TableSort
  testId?: string
  className?: string
  /** Under the table, inside its card: a pager, a note. */
  footer?: ReactNode
}

const NUMERIC: ReadonlySet<CellFormat> = new Set(['count', 'bytes', 'duration'])

function formatted(value: string | number | Date | null | undefined, format: CellFormat | undefined): ReactNode {
  if (value === null || value === undefined || value === '') return <span className="muted">–</span>
  switch (format) {
    case 'count':
      return typeof value === 'number' ? formatCount(value) : String(value)
    case 'bytes':
      return typeof value === 'number' ? formatBytes(value) : String(value)
    case 'duration':
      return typeof value === 'number' ? formatMs(value) : String(value)
    case 'timestamp':
      return formatTimestamp(value instanceof Date || typeof value === 'string' ? value : new Date(value))
    default:
      return value instanceof Date ? formatTimestamp(value) : String(value)
  }
}

function cellClass<T>(c: Column<T>): string | undefined {
  const names = [
    c.align === 'end' || (c.align === undefined && c.format && NUMERIC.has(c.format)) ? 'num' : '',
    c.mono ? 'mono name-cell' : '',
    c.nowrap || c.format === 'timestamp' ? 'nowrap' : '',
    c.format === 'timestamp' ? 'muted' : '',
    c.className ?? '',
  ].filter(Boolean)
  return names.length ? names.join(' ') : undefined
}

const ARIA_SORT = { asc: 'ascending', desc: 'descending' } as const

function HeaderCell<T>({ column, sort }: { column: Column<T>; sort?: TableSort }) {
  const className = cellClass({ ...column, mono: false, format: column.format === 'timestamp' ? undefined : column.format })
  if (!column.sortable || !sort) {
    return (
      <th scope="col" className={className} {...column.headerProps}>
        {column.label}
      </th>
    )
  }
  const active = sort.key === column.key
  const first = column.firstDirection ?? 'asc'
  const next = active ? (sort.direction === 'asc' ? 'desc' : 'asc') : first
  return (
    <th scope="col" className={className} aria-sort={active ? ARIA_SORT[sort.direction] : undefined} {...column.headerProps}>
      <Link href={sort.href(column.key, next)} className="sort-link" data-sort={column.key}>
        {column.label}
        <span className="sort-mark" aria-hidden="true">
          {active ? (sort.direction === 'asc' ? ' ▲' : ' ▼') : ' ↕'}
        </span>
      </Link>
    </th>
  )
}

/**
 * A table from column definitions: formats values, aligns numbers, sorts through the URL, keeps its
 * header in view while its rows scroll inside the card, and says what to do when it is empty.
 */
export function DataTable<T>({ label, columns, rows, rowKey, rowProps, rowHref, linkColumn, empty, sort, testId, className, footer }: Props<T>) {
  const shown = columns.filter((c): c is Column<T> => !!c)
  const linkKey = linkColumn ?? shown[0]?.key
  return (
    <>
      <div className="table-scroll" role="region" aria-label={label} tabIndex={0}>
        <table className={`data${className ? ` ${className}` : ''}`} data-testid={testId}>
          <thead>
            <tr>
              {shown.map((c) => (
                <HeaderCell key={c.key} column={c} sort={sort} />
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.length === 0 ? (
              <tr className="empty-row">
                <td colSpan={shown.length}>{empty}</td>
              </tr>
            ) : null}
            {rows.map((row, index) => {
              const href = rowHref?.(row) ?? null
              const props = rowProps?.(row) ?? {}
              const rowClass = [props.className, href ? 'linked-row' : ''].filter(Boolean).join(' ') || undefined
              let skip = 0
              return (
                <tr key={rowKey(row, index)} {...props} className={rowClass}>
                  {shown.map((c) => {
                    if (skip > 0) {
                      skip--
                      return null
                    }
                    const span = c.span?.(row) ?? 1
                    skip = span - 1
                    const content = c.cell ? c.cell(row) : formatted(c.value?.(row), c.format)
                    return (
                      <td key={c.key} className={cellClass(c)} colSpan={span > 1 ? span : undefined}>
                        {href && c.key === linkKey ? (
                          <Link href={href} className="row-link">
                            {content}
                          </Link>
                        ) : (
                          content
                        )}
                      </td>
                    )
                  })}
                </tr>
              )
            })}
          </tbody>
        </table>
      </div>
      {footer}
    </>
  )
}

/** Previous and next pages of a long list, with where in it this page is. */
export function Pager({ label, summary, links }: { label: string; summary?: ReactNode; links: ({ href: string; label: string } | null | false)[] }) {
  const shown = links.filter((l): l is { href: string; label: string } => !!l)
  if (!summary && shown.length === 0) return null
  return (
    <nav className="pager" aria-label={label}>
      {summary}
      {shown.map((l) => (
        <Link key={l.label} href={l.href}>
          {l.label}
        </Link>
      ))}
    </nav>
  )
}
