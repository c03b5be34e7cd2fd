import { DataTable } from '@/components/data-table'
import { WidgetError } from '@/components/widget-error'
import { targetDb } from '@/lib/db/server-dbs'
import { formatCount } from '@/lib/format/units'
import { countDorTables, type TableCount } from '@/lib/overview/overview'
import { tableHref } from '@/components/table-href'

export async function DorTablesCard() {
  let tables: TableCount[]
  try {
    tables = await countDorTables(targetDb())
  } catch (e) {
    return <WidgetError title="DoR tables" error={e} />
  }
  return (
    <div className="card">
      <h2>DoR tables</h2>
      <DataTable
        label="DoR tables"
        testId="dor-tables"
        rows={tables}
        rowKey={(t) => `${t.schema}.${t.table}`}
        rowHref={(t) => tableHref(t.schema, t.table)}
        linkColumn="table"
        empty="This database has none of the DoR-Dash tables (user, meeting, agenda_item, fileupload, registration_request). Check DATABASE_URL, or see every table on the Schema page."
        columns={[
          { key: 'schema', label: 'Schema', value: (t) => t.schema },
          { key: 'table', label: 'Table', value: (t) => t.table, mono: true },
          { key: 'rows', label: 'Rows', align: 'end', cell: (t) => `${t.exact ? '' : '≈ '}${formatCount(t.rows)}` },
        ]}
      />
    </div>
  )
}
