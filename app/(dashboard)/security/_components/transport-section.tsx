import { DataTable } from '@/components/data-table'
import type { ClientConnection, ServerSecuritySettings } from '@/lib/security/transport'

/** password_encryption and SSL, as cards. */
export function ServerSettingsCards({ settings }: { settings: ServerSecuritySettings }) {
  const scram = settings.passwordEncryption === 'scram-sha-256'
  return (
    <div className="grid" data-testid="security-settings">
      <div className="card">
        <div className="stat-label">password_encryption</div>
        <div className="stat mono-stat" data-testid="password-encryption">
          {settings.passwordEncryption} <span className={`badge ${scram ? 'ok' : 'bad'}`}>{scram ? 'good' : 'replayable hashes'}</span>
        </div>
      </div>
      <div className="card">
        <div className="stat-label">ssl</div>
        <div className="stat mono-stat" data-testid="ssl-setting">
          {settings.ssl ? 'on' : 'off'} <span className={`badge ${settings.ssl ? 'ok' : 'warn'}`}>{settings.ssl ? 'offered' : 'not offered'}</span>
        </div>
      </div>
      <div className="card">
        <div className="stat-label">ssl_min_protocol_version</div>
        <div className="stat mono-stat">{settings.sslMinProtocolVersion ?? <span className="muted">not readable</span>}</div>
      </div>
    </div>
  )
}

function SslCell({ c }: { c: ClientConnection }) {
  if (c.ssl === null) return <span className="badge muted">hidden</span>
  if (c.ssl) return <span className="badge ok">SSL</span>
  return <span className={`badge ${c.remote ? 'bad' : 'muted'}`}>{c.remote ? 'no SSL, over the network' : 'no SSL, local'}</span>
}

/** Client sessions of the cluster and whether each is encrypted (pg_stat_ssl). */
export function ConnectionsTable({ connections }: { connections: ClientConnection[] }) {
  const encrypted = connections.filter((c) => c.ssl === true).length
  const plain = connections.filter((c) => c.ssl === false).length
  return (
    <>
      <p className="muted" data-testid="connection-counts">
        {connections.length} client session{connections.length === 1 ? '' : 's'}: {encrypted} with SSL, {plain} without
        {connections.length - encrypted - plain > 0 ? `, ${connections.length - encrypted - plain} not visible to this login` : ''}.
      </p>
      <DataTable
        label="Client sessions and their encryption"
        testId="security-connections"
        rows={connections}
        rowKey={(c) => c.pid}
        rowProps={(c) => ({ 'data-pid': c.pid, 'data-ssl': c.ssl === null ? 'hidden' : String(c.ssl) })}
        empty="No client sessions are visible."
        columns={[
          { key: 'pid', label: 'PID', value: (c) => c.pid, align: 'end' },
          { key: 'user', label: 'Role', mono: true, cell: (c) => <>{c.user ?? '–'}{c.superuser ? <span className="badge warn"> superuser</span> : null}</> },
          { key: 'database', label: 'Database', mono: true, value: (c) => c.database },
          { key: 'app', label: 'Application', value: (c) => c.applicationName, cell: (c) => <>{c.applicationName || <span className="muted">–</span>}{c.current ? <span className="badge muted"> this page</span> : null}</> },
          { key: 'address', label: 'Client address', mono: true, value: (c) => c.clientAddress ?? (c.ssl === null ? null : 'local socket') },
          { key: 'ssl', label: 'Encryption', cell: (c) => <SslCell c={c} /> },
          { key: 'version', label: 'TLS', value: (c) => (c.sslVersion ? `${c.sslVersion}${c.cipher ? ` ${c.cipher}` : ''}` : null), mono: true },
        ]}
      />
    </>
  )
}
