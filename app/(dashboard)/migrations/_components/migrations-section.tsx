import { WidgetError } from '@/components/widget-error'
import type { AppUser } from '@/lib/auth/users'
import { can } from '@/lib/auth/permissions'
import { stateDb } from '@/lib/db/server-dbs'
import { formatTimestamp } from '@/lib/format/units'
import { listRuns, type MigrationRun } from '@/lib/migrations/run-store'
import type { MigrationsOverview } from '@/lib/migrations/status'
import { serverEnv } from '@/lib/runtime/server-env'
import { AdoptionControls } from './adoption-controls'
import { ApplyControls, type PlanInfo } from './apply-controls'
import { applyChoices, loadLockHeld, loadStatus } from './migrations-data'
import { MigrationsTable } from './migrations-table'
import { RunResultPanel, RunResultProvider } from './run-result'

/** The run holding the lock, when the history has it (a CLI run records itself too). */
async function runningRun(targetKey: string): Promise<MigrationRun | null> {
  try {
    const [newest] = await listRuns(stateDb(), { targetKey, limit: 1, lockHeld: true })
    return newest?.status === 'running' ? newest : null
  } catch {
    return null
  }
}

/** Summary, banners, apply controls (admins) and the migrations table. */
export async function MigrationsSection({ user }: { user: AppUser }) {
  let status: MigrationsOverview
  try {
    status = await loadStatus()
  } catch (e) {
    return <WidgetError title="Migrations" error={e} />
  }
  const lockHeld = await loadLockHeld()
  const running = lockHeld ? await runningRun(status.target.key) : null
  const canApply = can(user.role, 'migrations.apply')
  const canRollback = can(user.role, 'migrations.rollback')
  const applied = status.migrations.filter((m) => m.state === 'applied').length
  const blocked = status.blockingEdits.length
    ? `Apply is blocked: ${status.blockingEdits.join(', ')} changed after ${status.blockingEdits.length === 1 ? 'it was' : 'they were'} applied.`
    : null
  const info: Record<string, PlanInfo> = {}
  for (const m of status.migrations) {
    if (m.state === 'pending') info[m.name] = { transactional: m.transactional, irreversibleReason: m.irreversibleReason }
  }

  const management = status.management
  const decided = management.decision && management.decision.decision !== 'auto' ? management.decision.decision : null

  return (
    <RunResultProvider>
      {management.headline ? (
        <div className="banner warn" role="status" data-testid="managed-by">
          <strong>{management.headline}</strong> The DoR migrations below are not applied to this database and are not
          pending work here{canApply ? '; an admin adopts the chain below to apply them' : ''}.
        </div>
      ) : null}
      <p className="migrations-summary" data-testid="migrations-summary">
        {management.chainAdopted ? (
          <>
            <strong>{applied} applied</strong>, <strong>{status.pending.length} pending</strong>
          </>
        ) : (
          <strong>{status.migrations.length} DoR migrations, not adopted</strong>
        )}{' '}
        on <span className="mono">{status.targetDatabase}</span>
        {status.lastApplied ? (
          <span className="muted">
            {' '}
            · last applied <span className="mono">{status.lastApplied}</span>
          </span>
        ) : null}
      </p>
      {blocked ? (
        <div className="banner bad" role="alert" data-testid="blocking-edits">
          {blocked} Restore the file{status.blockingEdits.length === 1 ? '' : 's'} from version control, or, if the edit
          is intended, an admin acknowledges it in the table below; until then apply is refused.
        </div>
      ) : null}
      {lockHeld ? (
        <div className="banner warn" role="status" data-testid="lock-held">
          A migration run is in progress
          {running ? (
            <>
              {' '}
              (run #{running.id}, {running.kind}, started by {running.startedBy} at {formatTimestamp(running.startedAt)})
            </>
          ) : null}
          . Apply and rollback are refused until it finishes; reload to see its outcome.
        </div>
      ) : null}
      <RunResultPanel />
      {canApply && status.lastApplied === null ? (
        <AdoptionControls
          database={status.targetDatabase}
          mode={management.mode}
          names={status.migrations.filter((m) => m.checksum !== null).map((m) => m.name)}
          decided={decided}
        />
      ) : null}
      {canApply && management.chainAdopted ? (
        <ApplyControls
          database={status.targetDatabase}
          choices={applyChoices(status)}
          info={info}
          blocked={blocked}
          backupDefault={!serverEnv().demo}
        />
      ) : null}
      <MigrationsTable
        migrations={status.migrations}
        lastApplied={status.lastApplied}
        database={status.targetDatabase}
        canRollback={canRollback}
        canAcknowledge={canApply}
      />
    </RunResultProvider>
  )
}
