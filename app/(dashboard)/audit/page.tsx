import Link from 'next/link'
import { auditFilterOf, parseAuditFilter } from '@/lib/audit/audit-filter'
import { AUDIT_RESULTS, type AuditFilter, listAudit, listAuditActions } from '@/lib/audit/audit-log'
import { requireUser } from '@/lib/auth/current-user'
import { stateDb } from '@/lib/db/server-dbs'
import { formatTimestamp } from '@/lib/format/units'

const PAGE_SIZE = 100

export default async function AuditPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  await requireUser('audit.read')
  const raw = await searchParams
  const params = parseAuditFilter(raw)
  const filter: AuditFilter = { ...auditFilterOf(params), beforeId: params.before, limit: PAGE_SIZE }
  const [entries, actions] = await Promise.all([listAudit(stateDb(), filter), listAuditActions(stateDb())])
  const exportQuery = new URLSearchParams(Object.entries(raw).filter((e): e is [string, string] => !!e[1] && e[0] !== 'before'))
  const older = new URLSearchParams(Object.entries(raw).filter((e): e is [string, string] => !!e[1] && e[0] !== 'before'))
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
      <table className="data" data-testid="audit-table">
        <thead>
          <tr>
            <th>When</th>
            <th>Who</th>
            <th>Action</th>
            <th>Target</th>
            <th>Result</th>
            <th>Message</th>
            <th className="num">ms</th>
            <th>Address</th>
          </tr>
        </thead>
        <tbody>
          {entries.length === 0 ? (
            <tr>
              <td colSpan={8} className="muted">
                No entries match.
              </td>
            </tr>
          ) : null}
          {entries.map((e) => (
            <tr key={e.id}>
              <td className="muted" style={{ whiteSpace: 'nowrap' }}>
                {formatTimestamp(e.at)}
              </td>
              <td>{e.actorEmail ?? <span className="muted">–</span>}</td>
              <td className="mono">{e.action}</td>
              <td className="mono">{e.target}</td>
              <td>
                <span className={`badge ${e.result === 'ok' ? 'ok' : e.result === 'error' || e.result === 'denied' ? 'bad' : e.result === 'started' ? 'warn' : 'muted'}`}>
                  {e.result}
                </span>
              </td>
              <td title={e.input ? JSON.stringify(e.input) : undefined}>{e.message}</td>
              <td className="num">{e.durationMs}</td>
              <td className="muted">{e.clientIp}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="pager">
        {params.before ? <Link href={`/audit?${new URLSearchParams(Object.entries(raw).filter((e): e is [string, string] => !!e[1] && e[0] !== 'before'))}`}>Newest</Link> : null}
        {older.has('before') ? <Link href={`/audit?${older}`}>Older entries</Link> : null}
      </div>
    </>
  )
}
