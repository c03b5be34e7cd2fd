import Link from 'next/link'
import { Suspense } from 'react'
import { DataTable } from '@/components/data-table'
import { TableSkeleton } from '@/components/skeletons'
import { WidgetError } from '@/components/widget-error'
import { requireUser } from '@/lib/auth/current-user'
import { can } from '@/lib/auth/permissions'
import { stateDb, targetDb } from '@/lib/db/server-dbs'
import { targetIdentity } from '@/lib/db/target-identity'
import { formatTimestamp } from '@/lib/format/units'
import { listSnapshots } from '@/lib/schema/snapshot-store'
import { compareSnapshots, parseSnapshotRef, type SnapshotRef, UnknownSnapshotError } from '@/lib/schema/take-snapshot'
import { SchemaDiffView } from './_components/schema-diff-view'
import { TakeSnapshotForm } from './_components/take-snapshot-form'

export default async function SnapshotsPage({ searchParams }: { searchParams: Promise<{ from?: string; to?: string }> }) {
  const user = await requireUser()
  const params = await searchParams
  const from = parseSnapshotRef(params.from)
  const to = parseSnapshotRef(params.to) ?? 'live'
  // Snapshots of this target only: several targets may share the state database.
  const target = await targetIdentity(targetDb()).catch(() => null)
  const snapshots = target ? await listSnapshots(stateDb(), { targetKey: target.key, limit: 100 }) : []
  const options = [{ value: 'live', label: 'live schema (now)' }].concat(
    snapshots.map((s) => ({ value: String(s.id), label: `#${s.id} ${formatTimestamp(s.takenAt)} (${s.reason})` })),
  )
  return (
    <>
      <h1>Schema snapshots</h1>
      <p className="muted">
        A snapshot is a normalized description of the schema (tables, columns, types, constraints, indexes, enums,
        sequences) kept in the dashboard&apos;s own database. Migration runs take one before and after. Compare any two,
        or a snapshot with the live schema. <Link href="/schema">Back to the schema</Link>
      </p>
      {target ? null : (
        <div className="banner warn" role="status">
          The managed database does not answer, so its snapshots cannot be told from other databases&apos; here.
        </div>
      )}
      {can(user.role, 'schema.snapshot') ? (
        <div className="card" style={{ marginBottom: 16 }}>
          <TakeSnapshotForm />
        </div>
      ) : null}

      <form className="row card" method="get" aria-label="Compare snapshots" style={{ marginBottom: 16 }}>
        <label>
          From
          <select name="from" defaultValue={params.from ?? ''} required>
            <option value="" disabled>
              choose…
            </option>
            {options.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          To
          <select name="to" defaultValue={params.to ?? 'live'}>
            {options.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="primary">
          Compare
        </button>
      </form>

      {from !== null ? (
        <Suspense fallback={<TableSkeleton rows={6} />}>
          <Comparison from={from} to={to} />
        </Suspense>
      ) : null}

      <div className="card snapshot-list">
        <h2>Snapshots</h2>
        <DataTable
          label="Snapshots"
          testId="snapshot-list"
          rows={snapshots}
          rowKey={(s) => s.id}
          empty={
            can(user.role, 'schema.snapshot')
              ? 'No snapshots yet. Take one above; migration runs also take one before and after.'
              : 'No snapshots yet. Operators and admins take them; migration runs take one before and after.'
          }
          columns={[
            { key: 'id', label: '#', value: (s) => s.id },
            { key: 'taken', label: 'Taken', value: (s) => s.takenAt, format: 'timestamp' },
            { key: 'by', label: 'By', value: (s) => s.takenBy },
            { key: 'reason', label: 'Reason', value: (s) => s.reason },
            { key: 'database', label: 'Database', value: (s) => s.database, mono: true },
            { key: 'tables', label: 'Tables', value: (s) => s.summary.tables, format: 'count' },
            { key: 'columns', label: 'Columns', value: (s) => s.summary.columns, format: 'count' },
            {
              key: 'fingerprint',
              label: 'Fingerprint',
              mono: true,
              cell: (s) => <span title={s.fingerprint}>{s.fingerprint.slice(0, 12)}</span>,
            },
            { key: 'compare', label: 'Compare', cell: (s) => <Link href={`/schema/snapshots?from=${s.id}&to=live`}>with live</Link> },
          ]}
        />
      </div>
    </>
  )
}

async function Comparison({ from, to }: { from: SnapshotRef; to: SnapshotRef }) {
  try {
    const result = await compareSnapshots(targetDb(), stateDb(), from, to)
    return <SchemaDiffView diff={result.diff} from={result.from} to={result.to} />
  } catch (e) {
    if (e instanceof UnknownSnapshotError) return <div className="banner warn">{e.message}</div>
    return <WidgetError title="Comparison" error={e} />
  }
}
