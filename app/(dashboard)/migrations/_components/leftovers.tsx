import { DataTable } from '@/components/data-table'
import { describeOrphan, type OrphanedSession, orphanedMigrationSessions } from '@/lib/migrations/run-lock'
import { listScratchDatabases, type ScratchDatabaseInfo } from '@/lib/migrations/scratch-database'
import { serverEnv } from '@/lib/runtime/server-env'

/**
 * What killed processes left behind on the target's server: sessions of migration runs that died
 * while their statement kept running (and holding locks), and scratch databases of checks that
 * died. Shown only when there is something; the target not answering is the status section's to say.
 */
export async function Leftovers() {
  let orphans: OrphanedSession[]
  let scratch: ScratchDatabaseInfo[]
  try {
    ;[orphans, scratch] = await Promise.all([orphanedMigrationSessions(serverEnv().capabilities.monitor), listScratchDatabases(serverEnv().capabilities.monitor)])
  } catch {
    return null
  }
  if (orphans.length === 0 && scratch.length === 0) return null
  return (
    <section className="card leftovers" aria-labelledby="leftovers-title" data-testid="leftovers">
      <h2 id="leftovers-title">Left behind on the server</h2>
      {orphans.map((o) => (
        <div key={o.pid} className="banner warn" role="alert" data-testid="orphaned-session" data-pid={o.pid}>
          {describeOrphan(o)}
        </div>
      ))}
      {scratch.length ? (
        <>
          <p className="muted">
            Scratch databases of this database&apos;s checks. One in use belongs to a check running now; the others were left
            by a check whose process died, and are dropped before the next check and at the next start.
          </p>
          <DataTable
            label="Scratch databases"
            testId="scratch-databases"
            rows={scratch}
            rowKey={(s) => s.name}
            rowProps={(s) => ({ 'data-name': s.name, 'data-in-use': String(s.inUse) })}
            empty="No scratch databases."
            columns={[
              { key: 'name', label: 'Database', value: (s) => s.name, mono: true },
              { key: 'check', label: 'Check', value: (s) => s.purpose },
              {
                key: 'status',
                label: 'Status',
                cell: (s) => (s.inUse ? <span className="badge demo">in use</span> : <span className="badge warn">left by a check that died</span>),
              },
              { key: 'size', label: 'Size', value: (s) => s.sizeBytes, format: 'bytes' },
            ]}
          />
        </>
      ) : null}
    </section>
  )
}
