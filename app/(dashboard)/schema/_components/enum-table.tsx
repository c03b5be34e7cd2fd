import Link from 'next/link'
import { WidgetError } from '@/components/widget-error'
import { targetDb } from '@/lib/db/server-dbs'
import { type EnumRow, queryEnums } from '@/lib/schema/catalog-types-queries'
import { enumAnchor, tableHref } from './table-href'

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
      {enums.length === 0 ? (
        <p className="muted" style={{ marginBottom: 0 }}>
          No enum types.
        </p>
      ) : (
        <table className="data" data-testid="enums-table">
          <thead>
            <tr>
              <th>Schema</th>
              <th>Name</th>
              <th>Values, in order</th>
              <th>Used by</th>
            </tr>
          </thead>
          <tbody>
            {enums.map((e) => (
              <tr key={enumAnchor(e.schema, e.name)} id={enumAnchor(e.schema, e.name)} className="anchor-row">
                <td className="name-cell">{e.schema}</td>
                <td className="mono name-cell">{e.name}</td>
                <td>
                  {e.values.map((v, i) => (
                    <span key={i} className="chip mono">
                      {v}
                    </span>
                  ))}
                </td>
                <td>
                  {e.used_by.length === 0 ? (
                    <span className="badge warn" title="No column uses this type: drop it if nothing else (functions, casts) does">
                      unused
                    </span>
                  ) : (
                    <ul className="plain">
                      {e.used_by.map((u, i) => (
                        <li key={i}>
                          <Link href={tableHref(u.schema, u.table)} className="mono">
                            {u.schema}.{u.table}
                          </Link>
                          <span className="mono">.{u.column}</span>
                        </li>
                      ))}
                    </ul>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
