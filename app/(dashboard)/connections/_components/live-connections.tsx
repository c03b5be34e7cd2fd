'use client'

import { DataTable } from '@/components/data-table'
import { useLiveJson } from '@/components/use-live-json'
import type { Json } from '@/lib/format/json-value'
import { formatDuration } from '@/lib/format/units'
import type { ConnectionCount, ConnectionsReport, PoolStats } from '@/lib/performance/connections'

type Data = Json<{ server: ConnectionsReport; pools: PoolStats[] }>

function Counts({ title, rows }: { title: string; rows: ConnectionCount[] }) {
  return (
    <div className="card">
      <h2>{title}</h2>
      <DataTable
        label={title}
        rows={rows}
        rowKey={(r) => r.name}
        empty="None."
        columns={[
          { key: 'name', label: 'Name', value: (r) => r.name, mono: true },
          { key: 'count', label: 'Connections', value: (r) => r.count, format: 'count' },
          { key: 'limit', label: 'Limit', value: (r) => r.limit, format: 'count' },
        ]}
      />
    </div>
  )
}

export function LiveConnections({ initial }: { initial: Data }) {
  const { data, error } = useLiveJson('/api/performance/connections', initial, 10_000)
  const s = data.server
  return (
    <>
      {error ? <div className="banner bad">Live refresh failed: {error.message}</div> : null}
      {s.warnings.map((w) => (
        <div className="banner warn" key={w.message} data-testid="connections-warning">
          {w.message}
        </div>
      ))}
      {s.limitations.map((l) => (
        <div className="banner warn" key={l}>
          {l}
        </div>
      ))}
      <div className="grid" data-testid="connection-use">
        <div className="card">
          <div className="stat-label">In use</div>
          <div className="stat">
            {s.total} of {s.max} ({(s.usedShare * 100).toFixed(0)} %)
          </div>
          <div className="muted">
            {s.superuserReserved} reserved for superusers{s.reserved ? `, ${s.reserved} for pg_use_reserved_connections` : ''}; {s.availableToOthers} for everyone else.
          </div>
        </div>
      </div>
      <div className="card" data-testid="dashboard-pools">
        <h2>The dashboard&apos;s own pools</h2>
        <DataTable
          label="Dashboard pools"
          rows={data.pools}
          rowKey={(p) => p.name}
          empty="No pool opened yet."
          columns={[
            { key: 'name', label: 'Pool', value: (p) => p.name, mono: true },
            { key: 'total', label: 'Open', value: (p) => p.total, format: 'count' },
            { key: 'idle', label: 'Idle', value: (p) => p.idle, format: 'count' },
            { key: 'waiting', label: 'Waiting callers', value: (p) => p.waiting, format: 'count' },
            { key: 'max', label: 'Max', value: (p) => p.max, format: 'count' },
            { key: 'warning', label: '', value: (p) => p.warning },
          ]}
        />
      </div>
      <div className="card" data-testid="idle-leaks">
        <h2>Idle for over an hour (possible leaks)</h2>
        <DataTable
          label="Idle connections"
          rows={s.idleLeaks}
          rowKey={(c) => c.pid}
          empty="No connection has been idle for over an hour."
          columns={[
            { key: 'pid', label: 'PID', value: (c) => c.pid, mono: true },
            { key: 'idle', label: 'Idle for', value: (c) => formatDuration(c.idleSeconds) },
            { key: 'app', label: 'Application', value: (c) => c.applicationName },
            { key: 'user', label: 'User', value: (c) => c.user, mono: true },
            { key: 'db', label: 'Database', value: (c) => c.database, mono: true },
            { key: 'client', label: 'Client', value: (c) => c.client, mono: true },
          ]}
        />
      </div>
      <div className="grid">
        <Counts title="By state" rows={s.byState} />
        <Counts title="By application" rows={s.byApplication} />
        <Counts title="By user" rows={s.byUser} />
        <Counts title="By database" rows={s.byDatabase} />
        <Counts title="By client" rows={s.byClient} />
      </div>
    </>
  )
}
