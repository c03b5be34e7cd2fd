import Link from 'next/link'
import { targetDb } from '@/lib/db/server-dbs'
import { querySchemas } from '@/lib/schema/catalog-types-queries'
import type { ListParams } from './list-params'

/** The schema list's GET form. Without the schema names (unreadable) it still filters by text. */
export function RelationFilterForm({ params, schemas }: { params: ListParams; schemas: string[] }) {
  const options = params.schema && !schemas.includes(params.schema) ? [params.schema, ...schemas] : schemas
  return (
    <form className="row card" method="get" action="/schema" aria-label="Filter relations" style={{ marginBottom: 16 }}>
      <label>
        Filter schema, table or column names
        <input name="q" type="search" defaultValue={params.q ?? ''} maxLength={200} size={32} />
      </label>
      <label>
        Schema
        <select name="schema" defaultValue={params.schema ?? ''}>
          <option value="">all schemas</option>
          {options.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label>
        Sort by
        <select name="sort" defaultValue={params.sort ?? 'name'}>
          <option value="name">name</option>
          <option value="size">size</option>
          <option value="rows">rows</option>
        </select>
      </label>
      <label className="checkbox">
        <input type="checkbox" name="system" value="1" defaultChecked={!!params.system} />
        Show system schemas
      </label>
      <button type="submit" className="primary">
        Filter
      </button>
      <Link href="/schema" className="button">
        Clear
      </Link>
    </form>
  )
}

/** Schema names for the filter's select; none (the text filter still works) when unreadable. */
export async function schemaNames(includeSystem: boolean): Promise<string[]> {
  try {
    return (await querySchemas(targetDb(), includeSystem)).map((s) => s.name)
  } catch {
    // The relation list below reports the database error.
    return []
  }
}
