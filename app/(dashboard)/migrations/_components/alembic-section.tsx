import { WidgetError } from '@/components/widget-error'
import { historyEntries } from '@/lib/alembic/history'
import { multipleHeadsAdvice } from '@/lib/alembic/run'
import { alembicVersionsDir } from '@/lib/alembic/settings'
import { type AlembicStatus, alembicStatus } from '@/lib/alembic/status'
import { can } from '@/lib/auth/permissions'
import type { AppUser } from '@/lib/auth/users'
import { migratorDb } from '@/lib/db/server-dbs'
import { activeJobFor } from '@/lib/jobs/server-job-list'
import { serverEnv } from '@/lib/runtime/server-env'
import { AlembicControls } from './alembic-controls'
import { RunResultPanel, RunResultProvider } from './run-result'

function Ids({ ids }: { ids: string[] }) {
  if (ids.length === 0) return <span className="muted">none</span>
  return (
    <>
      {ids.map((id, i) => (
        <span key={id}>
          {i ? ', ' : ''}
          <code>{id}</code>
        </span>
      ))}
    </>
  )
}

/**
 * The team's Alembic, shown first when the database has an alembic_version table or Alembic runs
 * are configured: where the database is, heads, pending revisions, and (with ALEMBIC_DIR) a dry
 * run, upgrade, downgrade, rehearsal and drift check with the dashboard's safety.
 */
export async function AlembicSection({ user }: { user: AppUser }) {
  const env = serverEnv()
  const settings = env.alembic
  let status: AlembicStatus
  try {
    status = await alembicStatus(migratorDb(), settings ? alembicVersionsDir(settings) : env.alembicVersionsDir)
  } catch (e) {
    return <WidgetError title="Alembic" error={e} />
  }
  if (!status.versionTable && !settings) return null
  const activeJob = settings ? await activeJobFor(user.role, ['alembic.upgrade', 'alembic.downgrade']) : null
  const byTitle = new Map((status.graph?.revisions ?? []).map((r) => [r.revision, r.message]))
  return (
    <section className="card alembic-section" aria-labelledby="alembic-title" data-testid="alembic-section">
      <h2 id="alembic-title">Alembic</h2>
      <p className="alembic-status" data-testid="alembic-summary">
        {status.summary}
      </p>
      <p className="small">
        Current: <Ids ids={status.current} /> · heads in the files: <Ids ids={status.heads} />
        {status.graph ? (
          <>
            {' '}
            · branch points: <Ids ids={status.graph.branchPoints} /> · merges: <Ids ids={status.graph.merges} />
          </>
        ) : null}
      </p>
      {status.graphError ? <div className="banner bad">{status.graphError}</div> : null}
      {status.problems.length ? (
        <div className="banner bad" role="alert" data-testid="alembic-problems">
          <ul className="plain">
            {status.problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        </div>
      ) : null}
      {status.pending.length ? (
        <>
          <h3>Pending revisions</h3>
          <ol className="plan" data-testid="alembic-pending">
            {status.pending.map((id) => (
              <li key={id}>
                <code>{id}</code> {byTitle.get(id) ?? ''}
              </li>
            ))}
          </ol>
        </>
      ) : null}
      {status.graph ? (
        <details className="alembic-history" data-testid="alembic-history">
          <summary>History ({status.graph.revisions.length} revisions, newest first)</summary>
          <ul className="plain">
            {historyEntries(status).map((e) => (
              <li key={e.revision} data-revision={e.revision} data-applied={e.applied}>
                <span className={`badge ${e.applied ? 'ok' : 'demo'}`}>{e.applied ? 'applied' : 'pending'}</span>{' '}
                <span className="muted mono small">{e.downRevisions.join(', ') || '<base>'} →</span> <code>{e.revision}</code>{' '}
                {e.current ? <span className="badge">current</span> : null} {e.head ? <span className="badge ok">head</span> : null}{' '}
                {e.merge ? <span className="badge">merge</span> : null} {e.branchPoint ? <span className="badge warn">branch point</span> : null}{' '}
                {e.message}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      {settings ? (
        <RunResultProvider>
          <RunResultPanel />
          <AlembicControls
            database={status.current.length ? status.current.join(', ') : 'base'}
            pending={status.pending}
            applied={status.applied.filter((id) => !status.current.includes(id)).reverse()}
            current={status.current}
            upgradeRefused={status.heads.length > 1 ? multipleHeadsAdvice(status.heads) : null}
            canCheck={can(user.role, 'checks.run')}
            canUpgrade={can(user.role, 'migrations.apply')}
            canDowngrade={can(user.role, 'migrations.rollback')}
            activeJob={activeJob}
          />
        </RunResultProvider>
      ) : (
        <p className="muted">
          Set <code>ALEMBIC_DIR</code> (and <code>ALEMBIC_COMMAND</code>) to run the team’s Alembic from here with the run lock, snapshots and
          history.
        </p>
      )}
    </section>
  )
}
