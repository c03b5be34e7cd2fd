import Link from 'next/link'
import { Pager } from '@/components/data-table'
import { formatCount } from '@/lib/format/units'
import type { TablePrivilegeQuery } from '@/lib/security/privileges'
import { PrivilegeGridTable } from './privilege-grid'
import { loadGrid } from './security-data'

export const GRID_PAGE_SIZE = 100

/** The grid of tables, views and sequences: chosen by schema and name on the server, a page at a time. */
export async function TableGridSection({ query }: { query: Omit<TablePrivilegeQuery, 'limit' | 'offset'> & { page: number } }) {
  const offset = (query.page - 1) * GRID_PAGE_SIZE
  const { page, schemas } = await loadGrid({ schema: query.schema, name: query.name, limit: GRID_PAGE_SIZE, offset })
  const href = (p: number) => {
    const params = new URLSearchParams()
    if (query.schema !== undefined) params.set('schema', query.schema)
    if (query.name) params.set('name', query.name)
    if (p > 1) params.set('page', String(p))
    const qs = params.toString()
    return `/security${qs ? `?${qs}` : ''}#table-privileges`
  }
  const last = Math.max(1, Math.ceil(page.total / GRID_PAGE_SIZE))
  const first = page.total === 0 ? 0 : offset + 1
  return (
    <>
      <form className="row card" method="get" action="/security#table-privileges" aria-label="Choose the objects of the grid" style={{ marginBottom: 12 }}>
        <label>
          Schema
          <select name="schema" defaultValue={query.schema ?? ''} data-testid="grid-schema">
            <option value="">every schema</option>
            {schemas.map((s) => (
              <option key={s.schema} value={s.schema}>
                {s.schema} ({formatCount(s.relations)})
              </option>
            ))}
          </select>
        </label>
        <label>
          Name contains
          <input name="name" defaultValue={query.name ?? ''} maxLength={200} data-testid="grid-name" />
        </label>
        <button type="submit" className="primary">
          Show
        </button>
        <Link href="/security#table-privileges" className="button">
          Clear
        </Link>
      </form>
      <PrivilegeGridTable
        grid={page.grid}
        label="Privileges on tables, views and sequences"
        testId="security-table-grid"
        empty={query.schema !== undefined || query.name ? 'No table, view or sequence matches. Clear the filter to see all.' : 'This database has no tables, views or sequences.'}
        footer={
          <Pager
            label="Pages of the privilege grid"
            summary={
              <span className="muted" data-testid="grid-summary">
                {formatCount(first)}–{formatCount(offset + page.grid.rows.length)} of {formatCount(page.total)} objects
              </span>
            }
            links={[query.page > 1 && { href: href(query.page - 1), label: 'Previous' }, query.page < last && { href: href(query.page + 1), label: 'Next' }]}
          />
        }
      />
    </>
  )
}
