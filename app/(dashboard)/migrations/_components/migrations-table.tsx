import { formatMs, formatTimestamp } from '@/lib/format/units'
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
    <div className="migrations-scroll">
      <table className="data migrations" data-testid="migrations-table">
        <thead>
          <tr>
            <th>Migration</th>
            <th>State</th>
            <th>Applied at</th>
            <th>Applied by</th>
            <th className="num">Duration</th>
            <th>Checksum</th>
            <th>Flags</th>
            {controls ? <th>Actions</th> : null}
          </tr>
        </thead>
        <tbody>
          {migrations.length === 0 ? (
            <tr>
              <td colSpan={controls ? 8 : 7} className="muted">
                No migrations in the code or in the database.
              </td>
            </tr>
          ) : null}
          {migrations.map((m) => {
            const isLast = m.name === lastApplied
            const edited = m.flags.some((f) => f.code === 'edited_after_apply')
            return (
              <tr key={m.name} data-migration={m.name} data-state={m.state}>
                <td className="mono name-cell">
                  {m.name}
                  {m.transactional ? null : (
                    <>
                      {' '}
                      <span className="badge warn" title="Declared transactional = false: it runs outside a transaction.">
                        non-transactional
                      </span>
                    </>
                  )}
                </td>
                <td>
                  <span className={`badge ${m.state === 'applied' ? 'ok' : 'demo'}`} data-testid="migration-state">
                    {m.state}
                  </span>
                </td>
                <td className="muted when">{formatTimestamp(m.appliedAt)}</td>
                <td data-testid="applied-by">
                  {m.appliedBy === OUTSIDE ? <span className="muted">{OUTSIDE}</span> : (m.appliedBy ?? <span className="muted">–</span>)}
                </td>
                <td className="num">{formatMs(m.durationMs)}</td>
                <td>
                  <Checksum m={m} />
                </td>
                <td className="flags">
                  {m.flags.map((f) => (
                    <details key={f.code} className="flag">
                      <summary>
                        <span className={`badge ${FLAG_BADGE[f.code]}`}>{f.code.replaceAll('_', ' ')}</span> {f.message}
                      </summary>
                      <p>{f.advice}</p>
                    </details>
                  ))}
                </td>
                {controls ? (
                  <td>
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
                      {edited && canAcknowledge && m.checksum ? (
                        <AcknowledgeEdit name={m.name} checksum={m.checksum} appliedChecksum={m.appliedChecksum} />
                      ) : null}
                    </div>
                  </td>
                ) : null}
              </tr>
            )
          })}
        </tbody>
      </table>
    </div>
  )
}
