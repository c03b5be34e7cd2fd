import Link from 'next/link'
import { WidgetError } from '@/components/widget-error'
import { targetDb } from '@/lib/db/server-dbs'
import { formatCount } from '@/lib/format/units'
import { toSequence } from '@/lib/schema/catalog'
import { querySequences } from '@/lib/schema/catalog-types-queries'
import type { SequenceInfo } from '@/lib/schema/types'
import { tableHref } from './table-href'

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
      {sequences.length === 0 ? (
        <p className="muted" style={{ marginBottom: 0 }}>
          No sequences.
        </p>
      ) : (
        <table className="data" data-testid="sequences-table">
          <thead>
            <tr>
              <th>Schema</th>
              <th>Name</th>
              <th>Type</th>
              <th className="num">Last value</th>
              <th>Range used</th>
              <th>Owned by</th>
            </tr>
          </thead>
          <tbody>
            {sequences.map((s) => (
              <tr key={JSON.stringify([s.schema, s.name])}>
                <td className="name-cell">{s.schema}</td>
                <td className="mono name-cell">{s.name}</td>
                <td className="mono">{s.dataType}</td>
                <td className="num">{s.lastValue === null ? <span className="muted">–</span> : formatCount(s.lastValue)}</td>
                <td>
                  <UseBar seq={s} />
                </td>
                <td>
                  {s.ownedBy ? (
                    <>
                      <Link href={tableHref(s.ownedBy.schema, s.ownedBy.table)} className="mono">
                        {s.ownedBy.schema}.{s.ownedBy.table}
                      </Link>
                      <span className="mono">.{s.ownedBy.column}</span>
                    </>
                  ) : (
                    <span className="muted">–</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="muted" style={{ marginBottom: 0 }}>
        Red from {SEQUENCE_USE.bad * 100} % of the range used, orange from {SEQUENCE_USE.warn * 100} %. A sequence that
        runs out makes every insert fail: switch the column to bigint before it does.
      </p>
    </section>
  )
}
