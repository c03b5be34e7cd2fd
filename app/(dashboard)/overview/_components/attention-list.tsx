import Link from 'next/link'
import { WidgetError } from '@/components/widget-error'
import { loadConfig } from '@/lib/config'
import { migratorDb, stateDb, targetDb } from '@/lib/db/server-dbs'
import { targetIdentity } from '@/lib/db/target-identity'
import { dorMigrationSet } from '@/lib/migrations/registry'
import { migrationStatus } from '@/lib/migrations/status'
import { type HealthLine, healthLines } from '@/lib/overview/attention'

/**
 * The health summary, pghero-style: one line for every concern (connections, long-running queries,
 * blocked sessions, idle in transaction, cache hit ratio, indexes, vacuum, integrity, migrations,
 * backups, alerts), green with its number when fine, else what is wrong, each with a link; problems
 * first. Read in one round of parallel reads (lib/overview/attention.ts).
 */
export async function AttentionList() {
  let lines: HealthLine[]
  try {
    const { key } = await targetIdentity(targetDb())
    lines = await healthLines({
      state: stateDb(),
      target: targetDb(),
      targetKey: key,
      storageLimitBytes: loadConfig().STORAGE_LIMIT_BYTES ?? null,
      migrations: async () => migrationStatus(migratorDb(), stateDb(), await dorMigrationSet()),
    })
  } catch (e) {
    return <WidgetError title="What needs attention" error={e} />
  }
  const problems = lines.filter((l) => l.status !== 'ok').length
  return (
    <section className="card" aria-labelledby="attention-heading" data-testid="attention" style={{ marginBottom: 20 }}>
      <h2 id="attention-heading">What needs attention</h2>
      <p className={`result ${problems ? 'bad' : 'ok'}`} data-testid="attention-summary">
        {problems ? `${problems} of ${lines.length} concerns need attention.` : `All ${lines.length} concerns are fine.`}
      </p>
      <ul className="attention" aria-label="Health by concern">
        {lines.map((l) => (
          <li key={l.key} data-item={l.key} data-severity={l.status}>
            <span className={`badge ${l.status === 'ok' ? 'ok' : l.status === 'critical' ? 'bad' : 'warn'}`}>{l.status}</span> {l.text}{' '}
            <Link href={l.href}>{l.linkLabel}</Link>
          </li>
        ))}
      </ul>
    </section>
  )
}
