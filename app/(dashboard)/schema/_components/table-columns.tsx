import Link from 'next/link'
import { DataTable } from '@/components/data-table'
import { SqlCode } from '@/components/sql-block'
import type { ColumnInfo, ConstraintInfo, RelationInfo } from '@/lib/schema/types'
import { isTableKind } from './kind-label'
import { enumHref } from '@/components/table-href'

function ColumnType({ column }: { column: ColumnInfo }) {
  if (column.typeCategory === 'enum') {
    return (
      <Link href={enumHref(column.typeSchema, column.typeName)} className="mono" title="Enum type: see its values">
        {column.type}
      </Link>
    )
  }
  return <span className="mono">{column.type}</span>
}

function ColumnDefault({ column: c }: { column: ColumnInfo }) {
  return (
    <>
      {c.identity ? <span className="badge muted">identity {c.identity === 'always' ? 'always' : 'by default'}</span> : null}
      {c.generated ? (
        <>
          <span className="badge muted">generated</span> <SqlCode sql={c.generated} />
        </>
      ) : null}
      {c.default !== null ? <SqlCode sql={c.default} /> : null}
      {!c.identity && !c.generated && c.default === null ? <span className="muted">–</span> : null}
    </>
  )
}

export function ColumnsSection({ relation }: { relation: RelationInfo }) {
  const keys = new Set(relation.primaryKey?.columns ?? [])
  return (
    <section className="card" id="columns" aria-labelledby="columns-title">
      <h2 id="columns-title">Columns ({relation.columns.length})</h2>
      <DataTable
        label={`Columns of ${relation.schema}.${relation.name}`}
        testId="columns-table"
        rows={relation.columns}
        rowKey={(c) => c.position}
        empty="This relation has no columns."
        columns={[
          { key: 'position', label: '#', value: (c) => c.position, align: 'end', className: 'muted' },
          {
            key: 'name',
            label: 'Name',
            className: 'name-cell',
            cell: (c) => (
              <>
                <span className="mono">{c.name}</span>
                {keys.has(c.name) ? (
                  <>
                    {' '}
                    <span className="badge" title="Part of the primary key">
                      key
                    </span>
                  </>
                ) : null}
              </>
            ),
          },
          { key: 'type', label: 'Type', cell: (c) => <ColumnType column={c} /> },
          { key: 'null', label: 'Null', cell: (c) => (c.nullable ? <span className="muted">null</span> : 'not null') },
          { key: 'default', label: 'Default', cell: (c) => <ColumnDefault column={c} /> },
          { key: 'comment', label: 'Comment', value: (c) => c.comment, className: 'muted' },
        ]}
      />
    </section>
  )
}

const CONSTRAINT_KIND: Record<ConstraintInfo['kind'], string> = {
  primary_key: 'primary key',
  unique: 'unique',
  check: 'check',
  exclusion: 'exclusion',
}

export function KeysSection({ relation }: { relation: RelationInfo }) {
  const pk = relation.primaryKey
  return (
    <section className="card" id="keys" aria-labelledby="keys-title">
      <h2 id="keys-title">Primary key and constraints</h2>
      {pk ? (
        <p data-testid="primary-key">
          Primary key <span className="mono">{pk.name}</span> on ({pk.columns.map((c, i) => (
            <span key={c}>
              {i > 0 ? ', ' : null}
              <span className="mono">{c}</span>
            </span>
          ))}
          )
        </p>
      ) : isTableKind(relation.kind) ? (
        <div className="banner warn" data-testid="primary-key">
          No primary key. Add one: without it duplicate rows cannot be told apart, and logical replication cannot replicate updates or deletes.
        </div>
      ) : (
        <p className="muted" data-testid="primary-key">
          A {relation.kind.replace('_', ' ')} has no primary key.
        </p>
      )}
      <DataTable
        label={`Constraints of ${relation.schema}.${relation.name}`}
        testId="constraints-table"
        rows={relation.constraints}
        rowKey={(c) => c.name}
        empty="No unique, check or exclusion constraints."
        columns={[
          { key: 'name', label: 'Name', value: (c) => c.name, mono: true },
          { key: 'kind', label: 'Kind', value: (c) => CONSTRAINT_KIND[c.kind] },
          {
            key: 'definition',
            label: 'Definition',
            cell: (c) => (
              <>
                <SqlCode sql={c.definition} />
                {!c.validated ? (
                  <>
                    {' '}
                    <span className="badge warn" title="Added NOT VALID: existing rows were never checked">
                      NOT VALID
                    </span>
                  </>
                ) : null}
                {c.deferrable ? (
                  <>
                    {' '}
                    <span className="badge muted">deferrable</span>
                  </>
                ) : null}
              </>
            ),
          },
        ]}
      />
    </section>
  )
}
