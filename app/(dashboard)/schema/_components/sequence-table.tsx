import Link from 'next/link'
import { DataTable } from '@/components/data-table'
import { WidgetError } from '@/components/widget-error'
import { targetDb } from '@/lib/db/server-dbs'
import { toSequence } from '@/lib/schema/catalog'
import { querySequences } from '@/lib/schema/catalog-types-queries'
import type { SequenceInfo } from '@/lib/schema/types'
import { tableHref } from '@/components/table-href'

/** Share of a sequence's range used: past these, the sequence is close to running out. */
const SEQUENCE_USE = { bad: 0.9, warn: 0.75 }

function percent(share: number): string {
  const p = share * 100
  if (p > 0 && p < 0.01) return '< 0.01 %'
  return `${p < 10 ? p.toFixed(2) : p.toFixed(1)} %`
}

function UseBar({ seq }: { seq: SequenceInfo }) {
  if (seq.usedShare === null) {
    return (
      <span className="muted" title="Never used, or not readable by this role">
        unknown
      </span>
    )
  }
  const share = Math.min(Math.max(seq.usedShare, 0), 1)
  const level = share >= SEQUENCE_USE.bad ? 'bad' : share >= SEQUENCE_USE.warn ? 'warn' : 'ok'
  return (
    <span className="usebar-wrap" data-level={level}>
      <span className="usebar" aria-hidden="true">
        <span className={`usebar-fill ${level}`} style={{ width: `${Math.max(share * 100, share > 0 ? 1 : 0)}%` }} />
      </span>
      <span className={level === 'ok' ? undefined : `result ${level}`}>{percent(share)}</span>
      {seq.cycle ? (
        <>
          {' '}
          <span className="badge muted" title="CYCLE: starts again at the minimum instead of failing">
            cycles
          </span>
        </>
      ) : null}
    </span>
  )
}

function OwnedBy({ seq }: { seq: SequenceInfo }) {
  if (!seq.ownedBy) return <span className="muted">–</span>
  return (
    <>
      <Link href={tableHref(seq.ownedBy.schema, seq.ownedBy.table)} className="mono">
        {seq.ownedBy.schema}.{seq.ownedBy.table}
      </Link>
      <span className="mono">.{seq.ownedBy.column}</span>
    </>
  )
}

export async function SequenceSection({ includeSystem }: { includeSystem: boolean }) {
  let sequences: SequenceInfo[]
  let unreadable = 0
  try {
    const rows = await querySequences(targetDb(), includeSystem)
    unreadable = rows.filter((r) => !r.readable).length
    sequences = rows.map(toSequence)
  } catch (e) {
    return <WidgetError title="Sequences" error={e} />
  }
  return (
    <section className="card" aria-labelledby="sequences-title">
      <h2 id="sequences-title">Sequences ({sequences.length})</h2>
      {unreadable ? (
        <div className="banner warn">
          {unreadable} sequence{unreadable === 1 ? ' is' : 's are'} not readable by this role: their current value is
          unknown. Grant SELECT or USAGE on them to see how much of their range is used.
        </div>
      ) : null}
      <DataTable
        label="Sequences"
        testId="sequences-table"
        rows={sequences}
        rowKey={(s) => JSON.stringify([s.schema, s.name])}
        empty="No sequences."
        columns={[
          { key: 'schema', label: 'Schema', value: (s) => s.schema, className: 'name-cell' },
          { key: 'name', label: 'Name', value: (s) => s.name, mono: true },
          { key: 'type', label: 'Type', value: (s) => s.dataType, mono: true },
          { key: 'last', label: 'Last value', value: (s) => s.lastValue, format: 'count' },
          { key: 'used', label: 'Range used', cell: (s) => <UseBar seq={s} /> },
          { key: 'owned-by', label: 'Owned by', cell: (s) => <OwnedBy seq={s} /> },
        ]}
      />
      <p className="muted" style={{ marginBottom: 0 }}>
        Red from {SEQUENCE_USE.bad * 100} % of the range used, orange from {SEQUENCE_USE.warn * 100} %. A sequence that
        runs out makes every insert fail: switch the column to bigint before it does.
      </p>
    </section>
  )
}
