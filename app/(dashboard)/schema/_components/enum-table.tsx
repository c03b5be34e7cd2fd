import Link from 'next/link'
import { DataTable } from '@/components/data-table'
import { WidgetError } from '@/components/widget-error'
import { targetDb } from '@/lib/db/server-dbs'
import { type EnumRow, queryEnums } from '@/lib/schema/catalog-types-queries'
import { enumAnchor, tableHref } from '@/components/table-href'

function UsedBy({ used }: { used: EnumRow['used_by'] }) {
  if (used.length === 0) {
    return (
      <span className="badge warn" title="No column uses this type: drop it if nothing else (functions, casts) does">
        unused
      </span>
    )
  }
  return (
    <ul className="plain">
      {used.map((u, i) => (
        <li key={i}>
          <Link href={tableHref(u.schema, u.table)} className="mono">
            {u.schema}.{u.table}
          </Link>
          <span className="mono">.{u.column}</span>
        </li>
      ))}
    </ul>
  )
}

export async function EnumSection({ includeSystem }: { includeSystem: boolean }) {
  let enums: EnumRow[]
  try {
    enums = await queryEnums(targetDb(), includeSystem)
  } catch (e) {
    return <WidgetError title="Enum types" error={e} />
  }
  return (
    <section className="card" aria-labelledby="enums-title">
      <h2 id="enums-title">Enum types ({enums.length})</h2>
      <DataTable
        label="Enum types"
        testId="enums-table"
        rows={enums}
        rowKey={(e) => enumAnchor(e.schema, e.name)}
        rowProps={(e) => ({ id: enumAnchor(e.schema, e.name), className: 'anchor-row' })}
        empty="No enum types. Columns that hold a fixed set of values as text are checked on the Integrity page."
        columns={[
          { key: 'schema', label: 'Schema', value: (e) => e.schema, className: 'name-cell' },
          { key: 'name', label: 'Name', value: (e) => e.name, mono: true },
          {
            key: 'values',
            label: 'Values, in order',
            cell: (e) =>
              e.values.map((v, i) => (
                <span key={i} className="chip mono">
                  {v}
                </span>
              )),
          },
          { key: 'used-by', label: 'Used by', cell: (e) => <UsedBy used={e.used_by} /> },
        ]}
      />
    </section>
  )
}
