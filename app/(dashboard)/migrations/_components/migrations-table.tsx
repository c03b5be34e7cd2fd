import { DataTable } from '@/components/data-table'
import { type MigrationFlagCode, type MigrationStatus, OUTSIDE } from '@/lib/migrations/status'
import { AcknowledgeEdit } from './acknowledge-edit'
import { RollbackControl } from './rollback-control'

const FLAG_BADGE: Record<MigrationFlagCode, string> = {
  edited_after_apply: 'bad',
  manifest_stale: 'warn',
  missing_from_code: 'bad',
  file_missing: 'bad',
  load_failed: 'bad',
  out_of_order: 'warn',
  name_collision: 'warn',
  no_down: 'muted',
}

function Checksum({ m }: { m: MigrationStatus }) {
  const short = (sum: string) => sum.slice(0, 12)
  if (m.checksum && m.appliedChecksum && m.appliedChecksum !== m.checksum) {
    return (
      <div className="checksums">
        <div>
          <span className="muted">now </span>
          <code title={m.checksum}>{short(m.checksum)}</code>
        </div>
        <div>
          <span className="muted">applied </span>
          <code title={m.appliedChecksum}>{short(m.appliedChecksum)}</code>
        </div>
      </div>
    )
  }
  const sum = m.checksum ?? m.appliedChecksum
  return sum ? <code title={sum}>{short(sum)}</code> : <span className="muted">–</span>
}

interface Props {
  migrations: MigrationStatus[]
  lastApplied: string | null
  database: string
  /** Admins see the rollback and acknowledge controls; others see none. */
  canRollback: boolean
  canAcknowledge: boolean
}

export function MigrationsTable({ migrations, lastApplied, database, canRollback, canAcknowledge }: Props) {
  const controls = canRollback || canAcknowledge
  return (
    <DataTable
      label="Migrations"
      testId="migrations-table"
      className="migrations"
      rows={migrations}
      rowKey={(m) => m.name}
      rowProps={(m) => ({ 'data-migration': m.name, 'data-state': m.state })}
      empty="No migrations in the code or in the database. New ones go in migrations/ and its index (see the README)."
      columns={[
        {
          key: 'name',
          label: 'Migration',
          mono: true,
          cell: (m) => (
            <>
              {m.name}
              {m.transactional ? null : (
                <>
                  {' '}
                  <span className="badge warn" title="Declared transactional = false: it runs outside a transaction.">
                    non-transactional
                  </span>
                </>
              )}
            </>
          ),
        },
        {
          key: 'state',
          label: 'State',
          cell: (m) => (
            <>
              <span className={`badge ${m.state === 'applied' ? 'ok' : m.state === 'pending' ? 'demo' : 'muted'}`} data-testid="migration-state">
                {m.state === 'not_adopted' ? 'not adopted' : m.state}
              </span>
              {m.baseline ? (
                <>
                  {' '}
                  <span className="badge" data-testid="baseline" title="Marked applied by a baseline: the schema was already there, nothing ran.">
                    baseline
                  </span>
                </>
              ) : null}
            </>
          ),
        },
        { key: 'applied-at', label: 'Applied at', value: (m) => m.appliedAt, format: 'timestamp', className: 'when' },
        {
          key: 'applied-by',
          label: 'Applied by',
          cell: (m) => (
            <span data-testid="applied-by">
              {m.appliedBy === OUTSIDE ? <span className="muted">{OUTSIDE}</span> : (m.appliedBy ?? <span className="muted">–</span>)}
            </span>
          ),
        },
        { key: 'duration', label: 'Duration', value: (m) => m.durationMs, format: 'duration' },
        { key: 'checksum', label: 'Checksum', cell: (m) => <Checksum m={m} /> },
        {
          key: 'flags',
          label: 'Flags',
          className: 'flags',
          cell: (m) =>
            m.flags.map((f) => (
              <details key={f.code} className="flag">
                <summary>
                  <span className={`badge ${FLAG_BADGE[f.code]}`}>{f.code.replaceAll('_', ' ')}</span> {f.message}
                </summary>
                <p>{f.advice}</p>
              </details>
            )),
        },
        controls && {
          key: 'actions',
          label: 'Actions',
          cell: (m) => <RowActions m={m} isLast={m.name === lastApplied} database={database} canRollback={canRollback} canAcknowledge={canAcknowledge} />,
        },
      ]}
    />
  )
}

function RowActions({ m, isLast, database, canRollback, canAcknowledge }: { m: MigrationStatus; isLast: boolean; database: string; canRollback: boolean; canAcknowledge: boolean }) {
  const edited = m.flags.some((f) => f.code === 'edited_after_apply')
  return (
    <div className="row-actions">
      {isLast && canRollback ? (
        m.irreversibleReason ? (
          <>
            <button type="button" disabled title={`Cannot be rolled back: ${m.irreversibleReason}`}>
              Roll back…
            </button>
            <span className="muted small">Cannot be rolled back: {m.irreversibleReason}.</span>
          </>
        ) : (
          <RollbackControl name={m.name} database={database} transactional={m.transactional} />
        )
      ) : null}
      {edited && canAcknowledge && m.checksum ? <AcknowledgeEdit name={m.name} checksum={m.checksum} appliedChecksum={m.appliedChecksum} /> : null}
    </div>
  )
}
