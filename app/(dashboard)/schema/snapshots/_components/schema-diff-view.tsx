import { DataTable } from '@/components/data-table'
import type { SchemaChange, SchemaDiff } from '@/lib/schema/diff'

const CHANGE_BADGE: Record<SchemaChange['change'], string> = { added: 'ok', removed: 'bad', changed: 'demo' }

function where(c: SchemaChange): string {
  return c.table ? `${c.schema}.${c.table}` : c.schema
}

/** A readable diff: one row per change, grouped by table in the order diffSnapshots gives. */
export function SchemaDiffView({ diff, from, to }: { diff: SchemaDiff; from: string; to: string }) {
  const { added, removed, changed } = diff.summary
  return (
    <div className="card" data-testid="schema-diff">
      <h2>
        {from} → {to}
      </h2>
      {diff.changes.length === 0 ? (
        <div className="banner ok">No differences: the two schemas are the same.</div>
      ) : (
        <>
          <p className="muted">
            {added} added, {removed} removed, {changed} changed
          </p>
          <DataTable
            label={`Changes from ${from} to ${to}`}
            rows={diff.changes}
            rowKey={(_, i) => i}
            empty="No differences."
            columns={[
              { key: 'change', label: 'Change', cell: (c) => <span className={`badge ${CHANGE_BADGE[c.change]}`}>{c.change}</span> },
              { key: 'object', label: 'Object', value: (c) => c.object.replace('_', ' ') },
              { key: 'where', label: 'Where', value: where, mono: true },
              { key: 'name', label: 'Name', value: (c) => c.name, mono: true },
              { key: 'detail', label: 'Detail', value: (c) => c.detail, mono: true },
            ]}
          />
        </>
      )}
    </div>
  )
}
