import { DataTable } from '@/components/data-table'
import { MaintenanceJobs } from '@/components/maintenance-jobs'
import { requireUser } from '@/lib/auth/current-user'
import { can } from '@/lib/auth/permissions'
import { targetDb } from '@/lib/db/server-dbs'
import { serverMaintenanceJobs } from '@/lib/performance/server-maintenance-jobs'
import { toJson } from '@/lib/format/json-value'
import { formatTimestamp } from '@/lib/format/units'
import { readIndexFindings } from '@/lib/performance/index-findings'
import { listIndexes } from '@/lib/performance/indexes'
import { IndexFindingCard } from './_components/index-finding'

export default async function IndexesPage() {
  const user = await requireUser()
  const [findings, usage, jobs] = await Promise.all([readIndexFindings(targetDb()), listIndexes(targetDb()), serverMaintenanceJobs()])
  const canRun = can(user.role, 'maintenance.run')
  return (
    <>
      <h1>Indexes</h1>
      <p className="muted">
        Usage counts since the statistics were reset{findings.statsResetAt ? ` on ${formatTimestamp(findings.statsResetAt)}` : ' (never reset since the server started collecting)'}.
        Unused means no scan since then: a reset not long ago makes every index look unused.
      </p>
      <h2>Findings</h2>
      {findings.findings.length === 0 ? <p className="muted">No unused, duplicate, redundant, invalid or missing indexes found.</p> : null}
      {findings.findings.map((f, i) => (
        <IndexFindingCard key={`${f.kind}:${f.schema}:${f.table}:${f.index ?? i}`} f={f} canRun={canRun} />
      ))}
      <MaintenanceJobs initial={toJson({ jobs })} canCancel={canRun} />
      <div className="card">
        <h2>All indexes</h2>
        <DataTable
          label="Indexes"
          testId="indexes"
          rows={usage.indexes}
          rowKey={(ix) => ix.oid}
          empty="This database has no indexes outside the system schemas."
          columns={[
            { key: 'name', label: 'Index', value: (ix) => ix.qualifiedName, mono: true },
            { key: 'table', label: 'Table', value: (ix) => ix.qualifiedTable, mono: true },
            { key: 'def', label: 'Definition', cell: (ix) => <code className="query-text">{ix.definition}</code> },
            { key: 'scans', label: 'Scans', value: (ix) => ix.scans, format: 'count' },
            { key: 'read', label: 'Tuples read', value: (ix) => ix.tuplesRead, format: 'count' },
            { key: 'fetched', label: 'Tuples fetched', value: (ix) => ix.tuplesFetched, format: 'count' },
            { key: 'size', label: 'Size', value: (ix) => ix.sizeBytes, format: 'bytes' },
            { key: 'flags', label: '', cell: (ix) => <>{ix.constraint ? <span className="badge muted">{ix.constraint.type}</span> : null}{!ix.valid ? <span className="badge bad">invalid</span> : null}</> },
          ]}
        />
      </div>
    </>
  )
}
