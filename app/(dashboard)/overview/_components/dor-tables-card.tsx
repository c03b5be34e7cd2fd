import { WidgetError } from '@/components/widget-error'
import { targetDb } from '@/lib/db/server-dbs'
import { formatCount } from '@/lib/format/units'
import { countDorTables, type TableCount } from '@/lib/overview/overview'

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
      {tables.length === 0 ? (
        <p className="muted">This database has none of the DoR-Dash tables (user, meeting, agenda_item, fileupload, registration_request).</p>
      ) : (
        <table className="data" data-testid="dor-tables">
          <thead>
            <tr>
              <th>Schema</th>
              <th>Table</th>
              <th className="num">Rows</th>
            </tr>
          </thead>
          <tbody>
            {tables.map((t) => (
              <tr key={`${t.schema}.${t.table}`}>
                <td>{t.schema}</td>
                <td className="mono">{t.table}</td>
                <td className="num">
                  {t.exact ? '' : '≈ '}
                  {formatCount(t.rows)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}
