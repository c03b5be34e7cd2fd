import Link from 'next/link'
import { type Column, DataTable } from '@/components/data-table'
import type { ForeignKeyInfo } from '@/lib/schema/types'
import { tableHref } from '@/components/table-href'

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

function actionClass(action: ForeignKeyInfo['onDelete']): string | undefined {
  return action === 'CASCADE' ? 'fk-cascade' : action === 'NO ACTION' ? 'muted' : undefined
}

/** The columns both tables of foreign keys share: actions and state. */
const ACTION_COLUMNS: Column<ForeignKeyInfo>[] = [
  { key: 'on-delete', label: 'On delete', cell: (fk) => <span className={actionClass(fk.onDelete)}>{fk.onDelete}</span> },
  { key: 'on-update', label: 'On update', cell: (fk) => <span className={actionClass(fk.onUpdate)}>{fk.onUpdate}</span> },
  { key: 'state', label: 'State', cell: (fk) => <Badges fk={fk} /> },
]

export function ForeignKeysSection({ outgoing, incoming }: { outgoing: ForeignKeyInfo[]; incoming: ForeignKeyInfo[] }) {
  return (
    <section className="card" id="foreign-keys" aria-labelledby="fk-title">
      <h2 id="fk-title">Foreign keys</h2>
      <h3>References ({outgoing.length})</h3>
      <DataTable
        label="Foreign keys of this table"
        testId="fk-outgoing"
        rows={outgoing}
        rowKey={(fk) => fk.name}
        empty="This table references no other table."
        columns={[
          { key: 'name', label: 'Name', value: (fk) => fk.name, mono: true },
          { key: 'columns', label: 'Columns', cell: (fk) => <Columns names={fk.columns} /> },
          {
            key: 'references',
            label: 'References',
            className: 'name-cell',
            cell: (fk) => (
              <>
                <TableLink schema={fk.refSchema} table={fk.refTable} /> <Columns names={fk.refColumns} />
              </>
            ),
          },
          ...ACTION_COLUMNS,
        ]}
      />
      <h3>Referenced by ({incoming.length})</h3>
      <DataTable
        label="Foreign keys pointing at this table"
        testId="fk-incoming"
        rows={incoming}
        rowKey={(fk) => JSON.stringify([fk.schema, fk.table, fk.name])}
        empty="No foreign key points at this table."
        columns={[
          { key: 'table', label: 'Table', className: 'name-cell', cell: (fk) => <TableLink schema={fk.schema} table={fk.table} /> },
          { key: 'columns', label: 'Columns', cell: (fk) => <Columns names={fk.columns} /> },
          { key: 'name', label: 'Name', value: (fk) => fk.name, mono: true },
          { key: 'to', label: 'To columns', cell: (fk) => <Columns names={fk.refColumns} /> },
          ...ACTION_COLUMNS,
        ]}
      />
    </section>
  )
}
