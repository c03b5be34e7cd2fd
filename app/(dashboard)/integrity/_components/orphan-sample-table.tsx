import { ColumnHeading, MaskedValue } from '@/components/column-heading'
import { DataTable } from '@/components/data-table'
import { looksSecret } from '@/lib/db/secret-names'
import { formatCount } from '@/lib/format/units'
import type { OrphanSample } from '@/lib/integrity/orphans'

/** Sample orphans: the child's key and its reference values; secret-looking columns masked. */
export function OrphanSampleTable({ sample, keyColumns, total }: { sample: OrphanSample; keyColumns: string[]; total: number }) {
  const masked = sample.columns.map(looksSecret)
  return (
    <>
      <p className="muted">
        {sample.rows.length === 0
          ? 'No orphans now.'
          : `${sample.rows.length < total ? `The first ${formatCount(sample.rows.length)} of ${formatCount(total)}` : `All ${formatCount(total)}`} orphan rows${
              keyColumns.length ? `, ordered by ${keyColumns.join(', ')}` : ' (the table has no primary key: no order)'
            }.`}
      </p>
      {sample.rows.length > 0 ? (
        <DataTable
          label="Orphan rows"
          testId="orphan-samples"
          className="preview"
          rows={sample.rows}
          rowKey={(_, r) => r}
          empty="No orphans now."
          columns={sample.columns.map((c, i) => ({
            key: String(i),
            label: <ColumnHeading name={c} isKey={keyColumns.includes(c)} masked={masked[i]} />,
            cell: (row: (string | null)[]) =>
              masked[i] ? <MaskedValue /> : row[i] === null ? <span className="null">NULL</span> : row[i],
          }))}
        />
      ) : null}
    </>
  )
}
