import { DataTable } from '@/components/data-table'
import { formatBytes, formatCount } from '@/lib/format/units'
import type { Preview, PreviewCell } from '@/lib/schema/preview'

function Cell({ cell }: { cell: PreviewCell }) {
  if (cell === null) return <span className="null">NULL</span>
  if (cell.masked) return <span className="masked" title="Masked: this column looks like it holds secrets">••••••</span>
  if (cell.bytes !== undefined) return <span className="muted">{formatBytes(cell.bytes)}</span>
  return (
    <>
      {cell.text}
      {cell.truncated ? <span className="muted" title="Cut: the value is longer">…</span> : null}
    </>
  )
}

function LockIcon() {
  return (
    <svg className="lock-icon" viewBox="0 0 10 11" aria-hidden="true">
      <path fillRule="evenodd" d="M2.5 4.5V3a2.5 2.5 0 0 1 5 0v1.5H9V11H1V4.5zM3.7 4.5h2.6V3a1.3 1.3 0 0 0-2.6 0z" />
    </svg>
  )
}

function PreviewHeader({ column: c, revealed }: { column: Preview['columns'][number]; revealed: boolean }) {
  return (
    <>
      <span className="mono">{c.name}</span>
      {c.key ? (
        <>
          {' '}
          <span className="badge" title="Primary key column">
            key
          </span>
        </>
      ) : null}
      {c.masked ? (
        <>
          {' '}
          {revealed ? (
            <span className="badge bad" title="Revealed for you; the reveal is in the audit log">
              revealed
            </span>
          ) : (
            <span className="badge warn" title="Values hidden: the name suggests a secret">
              <LockIcon />
              masked
            </span>
          )}
        </>
      ) : null}
      <div className="col-type">{c.type}</div>
    </>
  )
}

/** Preview rows as a table. Used by the server page and, after a reveal, by the reveal button. */
export function PreviewTable({ preview, revealed = false }: { preview: Preview; revealed?: boolean }) {
  const { columns, rows, orderedBy, limit } = preview
  return (
    <>
      <p className="muted">
        {rows.length === 0
          ? 'The table has no rows.'
          : `${rows.length < limit ? `All ${formatCount(rows.length)} rows` : `The first ${formatCount(limit)} rows`}, ${
              orderedBy.length ? `ordered by ${orderedBy.join(', ')}` : 'in no particular order (no primary key)'
            }. Long values are cut (…); binary values are shown as their size.`}
      </p>
      <DataTable
        label={revealed ? 'Rows with revealed values' : 'Rows'}
        testId={revealed ? 'preview-table-revealed' : 'preview-table'}
        className="preview"
        rows={rows}
        rowKey={(_, r) => r}
        empty="The table has no rows."
        columns={columns.map((c, i) => ({
          key: String(i),
          headerProps: { 'data-column': c.name },
          label: <PreviewHeader column={c} revealed={revealed} />,
          align: c.bytes ? ('end' as const) : undefined,
          cell: (row: PreviewCell[]) => <Cell cell={row[i]} />,
        }))}
      />
    </>
  )
}
