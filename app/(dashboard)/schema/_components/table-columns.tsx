import Link from 'next/link'
import { SqlCode } from '@/components/sql-block'
import type { ColumnInfo, ConstraintInfo, RelationInfo } from '@/lib/schema/types'
import { isTableKind } from './kind-label'
import { enumHref } from './table-href'

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

export function ColumnsSection({ relation }: { relation: RelationInfo }) {
  const keys = new Set(relation.primaryKey?.columns ?? [])
  return (
    <section className="card" id="columns" aria-labelledby="columns-title">
      <h2 id="columns-title">Columns ({relation.columns.length})</h2>
      {relation.columns.length === 0 ? (
        <p className="muted">This relation has no columns.</p>
      ) : (
        <table className="data" data-testid="columns-table">
          <thead>
            <tr>
              <th className="num">#</th>
              <th>Name</th>
              <th>Type</th>
              <th>Null</th>
              <th>Default</th>
              <th>Comment</th>
            </tr>
          </thead>
          <tbody>
            {relation.columns.map((c) => (
              <tr key={c.position}>
                <td className="num muted">{c.position}</td>
                <td className="name-cell">
                  <span className="mono">{c.name}</span>
                  {keys.has(c.name) ? (
                    <>
                      {' '}
                      <span className="badge" title="Part of the primary key">
                        key
                      </span>
                    </>
                  ) : null}
                </td>
                <td>
                  <ColumnType column={c} />
                </td>
                <td>{c.nullable ? <span className="muted">null</span> : 'not null'}</td>
                <td>
                  {c.identity ? (
                    <span className="badge muted">identity {c.identity === 'always' ? 'always' : 'by default'}</span>
                  ) : null}
                  {c.generated ? (
                    <>
                      <span className="badge muted">generated</span> <SqlCode sql={c.generated} />
                    </>
                  ) : null}
                  {c.default !== null ? <SqlCode sql={c.default} /> : null}
                  {!c.identity && !c.generated && c.default === null ? <span className="muted">–</span> : null}
                </td>
                <td className="muted">{c.comment}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
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
      {relation.constraints.length === 0 ? (
        <p className="muted" style={{ marginBottom: 0 }}>
          No unique, check or exclusion constraints.
        </p>
      ) : (
        <table className="data" data-testid="constraints-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Kind</th>
              <th>Definition</th>
            </tr>
          </thead>
          <tbody>
            {relation.constraints.map((c) => (
              <tr key={c.name}>
                <td className="mono name-cell">{c.name}</td>
                <td>{CONSTRAINT_KIND[c.kind]}</td>
                <td>
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
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
