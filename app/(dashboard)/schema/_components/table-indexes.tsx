import { SqlBlock } from '@/components/sql-block'
import { formatBytes, formatCount } from '@/lib/format/units'
import type { IndexInfo, RelationInfo, TriggerInfo } from '@/lib/schema/types'

function IndexBadges({ index }: { index: IndexInfo }) {
  const badges: { label: string; className: string; title?: string }[] = []
  if (index.primary) badges.push({ label: 'primary', className: '' })
  else if (index.unique) badges.push({ label: 'unique', className: '' })
  if (!index.valid)
    badges.push({
      label: 'INVALID',
      className: 'bad',
      title: 'Left invalid by a failed CREATE INDEX CONCURRENTLY: it is maintained on writes but never used. Drop and rebuild it.',
    })
  if (index.partial) badges.push({ label: 'partial', className: 'muted' })
  // Indexes behind a primary key, unique or exclusion constraint enforce it even when no query scans them.
  if (index.scans === 0 && !index.constraint)
    badges.push({
      label: 'unused',
      className: 'muted',
      title: 'Not scanned since the statistics were last reset: it costs writes and space. Check replicas before dropping it.',
    })
  return (
    <>
      {badges.map((b) => (
        <span key={b.label} className={`badge ${b.className}`} title={b.title} style={{ marginRight: 4 }}>
          {b.label}
        </span>
      ))}
    </>
  )
}

export function IndexesSection({ relation }: { relation: RelationInfo }) {
  return (
    <section className="card" id="indexes" aria-labelledby="indexes-title">
      <h2 id="indexes-title">Indexes ({relation.indexes.length})</h2>
      {relation.indexes.length === 0 ? (
        <p className="muted" style={{ marginBottom: 0 }}>
          No indexes.
        </p>
      ) : (
        <table className="data" data-testid="indexes-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Definition</th>
              <th className="num">Size</th>
              <th className="num">Scans</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {relation.indexes.map((i) => (
              <tr key={i.name} data-index={i.name}>
                <td className="mono name-cell">{i.name}</td>
                <td>
                  <SqlBlock sql={i.definition} label={`Definition of ${i.name}`} wrap compact />
                </td>
                <td className="num">{i.sizeBytes === null ? '–' : formatBytes(i.sizeBytes)}</td>
                <td className="num">{i.scans === null ? '–' : formatCount(i.scans)}</td>
                <td>
                  <IndexBadges index={i} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}

const TRIGGER_STATE: Record<TriggerInfo['enabled'], { label: string; className: string }> = {
  O: { label: 'enabled', className: 'ok' },
  D: { label: 'disabled', className: 'bad' },
  R: { label: 'replica only', className: 'muted' },
  A: { label: 'always', className: 'muted' },
}

export function TriggersSection({ relation }: { relation: RelationInfo }) {
  return (
    <section className="card" id="triggers" aria-labelledby="triggers-title">
      <h2 id="triggers-title">Triggers ({relation.triggers.length})</h2>
      {relation.triggers.length === 0 ? (
        <p className="muted" style={{ marginBottom: 0 }}>
          No triggers.
        </p>
      ) : (
        <table className="data" data-testid="triggers-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>State</th>
              <th>Definition</th>
            </tr>
          </thead>
          <tbody>
            {relation.triggers.map((t) => (
              <tr key={t.name}>
                <td className="mono name-cell">{t.name}</td>
                <td>
                  <span className={`badge ${TRIGGER_STATE[t.enabled].className}`}>{TRIGGER_STATE[t.enabled].label}</span>
                </td>
                <td>
                  <SqlBlock sql={t.definition} label={`Definition of ${t.name}`} wrap compact />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
