import Link from 'next/link'
import { DataTable, Pager } from '@/components/data-table'
import { auditFilterOf, parseAuditFilter } from '@/lib/audit/audit-filter'
import { AUDIT_RESULTS, type AuditFilter, listAudit, listAuditActions } from '@/lib/audit/audit-log'
import { requireUser } from '@/lib/auth/current-user'
import { stateDb } from '@/lib/db/server-dbs'

const PAGE_SIZE = 100

export default async function AuditPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  await requireUser('audit.read')
  const raw = await searchParams
  const params = parseAuditFilter(raw)
  const filter: AuditFilter = { ...auditFilterOf(params), beforeId: params.before, limit: PAGE_SIZE }
  const [entries, actions] = await Promise.all([listAudit(stateDb(), filter), listAuditActions(stateDb())])
  const newest = new URLSearchParams(Object.entries(raw).filter((e): e is [string, string] => !!e[1] && e[0] !== 'before'))
  const exportQuery = new URLSearchParams(newest)
  const older = new URLSearchParams(newest)
  if (entries.length === PAGE_SIZE) older.set('before', String(entries[entries.length - 1].id))

  return (
    <>
      <h1>Audit log</h1>
      <form className="row card" method="get" style={{ marginBottom: 16 }} aria-label="Filter the audit log">
        <label>
          Action
          <select name="action" defaultValue={params.action ?? ''}>
            <option value="">any</option>
            {actions.map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
        </label>
        <label>
          Result
          <select name="result" defaultValue={params.result ?? ''}>
            <option value="">any</option>
            {AUDIT_RESULTS.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
        <label>
          Actor
          <input name="actor" defaultValue={params.actor ?? ''} placeholder="e-mail" />
        </label>
        <label>
          Text
          <input name="q" defaultValue={params.q ?? ''} placeholder="target, message…" />
        </label>
        <label>
          Since
          <input name="since" type="date" defaultValue={raw.since ?? ''} />
        </label>
        <label>
          Until
          <input name="until" type="date" defaultValue={raw.until ?? ''} />
        </label>
        <button type="submit" className="primary">
          Filter
        </button>
        <Link href="/audit" className="button">
          Clear
        </Link>
        {/* A plain link: the export streams, and the browser saves it as a file. */}
        <a href={`/api/audit/export.csv?${exportQuery}`} className="button" download data-testid="audit-export">
          Export CSV
        </a>
      </form>
      <DataTable
        label="Audit log entries"
        testId="audit-table"
        rows={entries}
        rowKey={(e) => e.id}
        empty={params.before ? 'No older entries match.' : 'No entries match. Clear the filter to see every entry.'}
        columns={[
          { key: 'when', label: 'When', value: (e) => e.at, format: 'timestamp' },
          { key: 'who', label: 'Who', value: (e) => e.actorEmail },
          { key: 'action', label: 'Action', value: (e) => e.action, mono: true },
          { key: 'target', label: 'Target', value: (e) => e.target, mono: true },
          {
            key: 'result',
            label: 'Result',
            cell: (e) => (
              <span className={`badge ${e.result === 'ok' ? 'ok' : e.result === 'error' || e.result === 'denied' ? 'bad' : e.result === 'started' ? 'warn' : 'muted'}`}>{e.result}</span>
            ),
          },
          { key: 'message', label: 'Message', cell: (e) => <span title={e.input ? JSON.stringify(e.input) : undefined}>{e.message}</span> },
          { key: 'ms', label: 'ms', value: (e) => e.durationMs, format: 'count' },
          { key: 'address', label: 'Address', value: (e) => e.clientIp, className: 'muted' },
        ]}
        footer={
          <Pager
            label="Pages of the audit log"
            links={[
              !!params.before && { href: `/audit?${newest}`, label: 'Newest' },
              older.has('before') && { href: `/audit?${older}`, label: 'Older entries' },
            ]}
          />
        }
      />
    </>
  )
}
