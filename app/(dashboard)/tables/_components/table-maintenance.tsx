import { RunMaintenanceButton } from '@/components/run-maintenance-button'

/** VACUUM (ANALYZE), ANALYZE and REINDEX TABLE CONCURRENTLY of one table, each as a background job. */
export function TableMaintenance({ schema, table }: { schema: string; table: string }) {
  const name = `${schema}.${table}`
  return (
    <span className="row" data-testid="table-maintenance">
      <RunMaintenanceButton task={{ kind: 'vacuum', schema, table, analyze: true }} label="VACUUM (ANALYZE)" confirmText={`VACUUM (ANALYZE) ${name} now?`} testId="run-vacuum" />
      <RunMaintenanceButton task={{ kind: 'analyze', schema, table }} label="ANALYZE" confirmText={`ANALYZE ${name} now?`} testId="run-analyze" />
      <RunMaintenanceButton
        task={{ kind: 'reindex', target: 'table', schema, name: table }}
        label="REINDEX"
        confirmText={`REINDEX TABLE CONCURRENTLY ${name} now? It rebuilds every index of the table without blocking writes.`}
        testId="run-reindex"
      />
    </span>
  )
}
