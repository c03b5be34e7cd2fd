import { ColumnHeading, MaskedValue } from '@/components/column-heading'
import { DataTable } from '@/components/data-table'
import { formatBytes, formatCount } from '@/lib/format/units'
import type { Preview, PreviewCell } from '@/lib/schema/preview'

function Cell({ cell }: { cell: PreviewCell }) {
  if (cell === null) return <span className="null">NULL</span>
  if (cell.masked) return <MaskedValue />
  if (cell.bytes !== undefined) return <span className="muted">{formatBytes(cell.bytes)}</span>
  return (
    <>
      {cell.text}
      {cell.truncated ? <span className="muted" title="Cut: the value is longer">…</span> : null}
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
          label: <ColumnHeading name={c.name} isKey={c.key} masked={c.masked} revealed={revealed} type={c.type} />,
          align: c.bytes ? ('end' as const) : undefined,
          cell: (row: PreviewCell[]) => <Cell cell={row[i]} />,
        }))}
      />
    </>
  )
}
