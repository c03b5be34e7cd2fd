import Link from 'next/link'
import type { ForeignKeyInfo } from '@/lib/schema/types'
import { tableHref } from './table-href'

function Columns({ names }: { names: string[] }) {
  return (
    <span className="mono">
      ({names.map((c, i) => (
        <span key={i}>
          {i > 0 ? ', ' : null}
          {c}
        </span>
      ))}
      )
    </span>
  )
}

function TableLink({ schema, table }: { schema: string; table: string }) {
  return (
    <Link href={tableHref(schema, table)} className="mono">
      {schema}.{table}
    </Link>
  )
}

function Badges({ fk }: { fk: ForeignKeyInfo }) {
  return (
    <>
      {fk.deferrable ? (
        <span className="badge muted">{fk.initiallyDeferred ? 'deferred' : 'deferrable'}</span>
      ) : null}{' '}
      {!fk.validated ? (
        <span className="badge warn" title="Added NOT VALID: existing rows were never checked">
          NOT VALID
        </span>
      ) : null}
    </>
  )
}

function ActionCell({ action }: { action: ForeignKeyInfo['onDelete'] }) {
  return <td className={action === 'CASCADE' ? 'fk-cascade' : action === 'NO ACTION' ? 'muted' : undefined}>{action}</td>
}

export function ForeignKeysSection({ outgoing, incoming }: { outgoing: ForeignKeyInfo[]; incoming: ForeignKeyInfo[] }) {
  return (
    <section className="card" id="foreign-keys" aria-labelledby="fk-title">
      <h2 id="fk-title">Foreign keys</h2>
      <h3>References ({outgoing.length})</h3>
      {outgoing.length === 0 ? (
        <p className="muted">This table references no other table.</p>
      ) : (
        <table className="data" data-testid="fk-outgoing">
          <thead>
            <tr>
              <th>Name</th>
              <th>Columns</th>
              <th>References</th>
              <th>On delete</th>
              <th>On update</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {outgoing.map((fk) => (
              <tr key={fk.name}>
                <td className="mono name-cell">{fk.name}</td>
                <td>
                  <Columns names={fk.columns} />
                </td>
                <td className="name-cell">
                  <TableLink schema={fk.refSchema} table={fk.refTable} /> <Columns names={fk.refColumns} />
                </td>
                <ActionCell action={fk.onDelete} />
                <ActionCell action={fk.onUpdate} />
                <td>
                  <Badges fk={fk} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Referenced by ({incoming.length})</h3>
      {incoming.length === 0 ? (
        <p className="muted" style={{ marginBottom: 0 }}>
          No foreign key points at this table.
        </p>
      ) : (
        <table className="data" data-testid="fk-incoming">
          <thead>
            <tr>
              <th>Table</th>
              <th>Columns</th>
              <th>Name</th>
              <th>To columns</th>
              <th>On delete</th>
              <th>On update</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {incoming.map((fk) => (
              <tr key={JSON.stringify([fk.schema, fk.table, fk.name])}>
                <td className="name-cell">
                  <TableLink schema={fk.schema} table={fk.table} />
                </td>
                <td>
                  <Columns names={fk.columns} />
                </td>
                <td className="mono name-cell">{fk.name}</td>
                <td>
                  <Columns names={fk.refColumns} />
                </td>
                <ActionCell action={fk.onDelete} />
                <ActionCell action={fk.onUpdate} />
                <td>
                  <Badges fk={fk} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
