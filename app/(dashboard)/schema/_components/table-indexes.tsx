import { DataTable } from '@/components/data-table'
import { SqlBlock } from '@/components/sql-block'
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
      <DataTable
        label={`Indexes of ${relation.schema}.${relation.name}`}
        testId="indexes-table"
        rows={relation.indexes}
        rowKey={(i) => i.name}
        rowProps={(i) => ({ 'data-index': i.name })}
        empty="No indexes. Integrity › Constraints & indexes says which foreign keys need one."
        columns={[
          { key: 'name', label: 'Name', value: (i) => i.name, mono: true },
          { key: 'definition', label: 'Definition', cell: (i) => <SqlBlock sql={i.definition} label={`Definition of ${i.name}`} wrap compact /> },
          { key: 'size', label: 'Size', value: (i) => i.sizeBytes, format: 'bytes' },
          { key: 'scans', label: 'Scans', value: (i) => i.scans, format: 'count' },
          { key: 'state', label: 'State', cell: (i) => <IndexBadges index={i} /> },
        ]}
      />
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
      <DataTable
        label={`Triggers of ${relation.schema}.${relation.name}`}
        testId="triggers-table"
        rows={relation.triggers}
        rowKey={(t) => t.name}
        empty="No triggers."
        columns={[
          { key: 'name', label: 'Name', value: (t) => t.name, mono: true },
          {
            key: 'state',
            label: 'State',
            cell: (t) => <span className={`badge ${TRIGGER_STATE[t.enabled].className}`}>{TRIGGER_STATE[t.enabled].label}</span>,
          },
          { key: 'definition', label: 'Definition', cell: (t) => <SqlBlock sql={t.definition} label={`Definition of ${t.name}`} wrap compact /> },
        ]}
      />
    </section>
  )
}
