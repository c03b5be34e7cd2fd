import Link from 'next/link'
import { WidgetError } from '@/components/widget-error'
import { loadConfig } from '@/lib/config'
import { migratorDb, stateDb, targetDb } from '@/lib/db/server-dbs'
import { targetIdentity } from '@/lib/db/target-identity'
import { dorMigrationSet } from '@/lib/migrations/registry'
import { migrationStatus } from '@/lib/migrations/status'
import { type AttentionItem, whatNeedsAttention } from '@/lib/overview/attention'
import { type ConcernLine, overviewConcerns } from '@/lib/overview/concerns'

/**
 * What needs attention now, one line each with a link, most severe first; says so when nothing
 * does. Read from the state database (alerts, runs, backups, the latest sample) plus the
 * migration status and, when no fresh sample exists, one cheap statistics statement; then the
 * standing checks (indexes, vacuum, cache), each green or what is wrong, from catalog and statistics only.
 */
export async function AttentionList() {
  let items: AttentionItem[]
  let concerns: ConcernLine[]
  try {
    const { key } = await targetIdentity(targetDb())
    const sources = { state: stateDb(), target: targetDb(), targetKey: key, storageLimitBytes: loadConfig().STORAGE_LIMIT_BYTES ?? null }
    ;[items, concerns] = await Promise.all([
      whatNeedsAttention({ ...sources, migrations: async () => migrationStatus(migratorDb(), stateDb(), await dorMigrationSet()) }),
      overviewConcerns(sources),
    ])
  } catch (e) {
    return <WidgetError title="What needs attention" error={e} />
  }
  return (
    <section className="card" aria-labelledby="attention-heading" data-testid="attention" style={{ marginBottom: 20 }}>
      <h2 id="attention-heading">What needs attention</h2>
      {items.length === 0 ? (
        <p className="result ok" data-testid="attention-none">
          Nothing needs attention: no alert is firing, the last integrity run found nothing, no migration is pending, backups are recent and no query runs long.
        </p>
      ) : (
        <ul className="attention">
          {items.map((i) => (
            <li key={i.key} data-item={i.key} data-severity={i.severity}>
              <span className={`badge ${i.severity === 'critical' ? 'bad' : 'warn'}`}>{i.severity}</span> {i.text} <Link href={i.href}>{i.linkLabel}</Link>
            </li>
          ))}
        </ul>
      )}
      <ul className="attention" data-testid="concerns" aria-label="Indexes, vacuum and cache">
        {concerns.map((c) => (
          <li key={c.key} data-item={c.key} data-severity={c.status}>
            <span className={`badge ${c.status === 'ok' ? 'ok' : c.status === 'critical' ? 'bad' : 'warn'}`}>{c.status}</span> {c.text} <Link href={c.href}>{c.linkLabel}</Link>
          </li>
        ))}
      </ul>
    </section>
  )
}
