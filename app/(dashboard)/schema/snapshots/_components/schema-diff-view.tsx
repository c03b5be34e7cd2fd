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
          <table className="data">
            <thead>
              <tr>
                <th>Change</th>
                <th>Object</th>
                <th>Where</th>
                <th>Name</th>
                <th>Detail</th>
              </tr>
            </thead>
            <tbody>
              {diff.changes.map((c, i) => (
                <tr key={i}>
                  <td>
                    <span className={`badge ${CHANGE_BADGE[c.change]}`}>{c.change}</span>
                  </td>
                  <td>{c.object.replace('_', ' ')}</td>
                  <td className="mono">{where(c)}</td>
                  <td className="mono">{c.name}</td>
                  <td className="mono">{c.detail}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  )
}
