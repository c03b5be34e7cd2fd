import { WidgetError } from '@/components/widget-error'
import { targetDb } from '@/lib/db/server-dbs'
import { formatBytes, formatCount, formatDuration, formatTimestamp } from '@/lib/format/units'
import { getOverview, type Overview } from '@/lib/overview/overview'

export async function ServerCards() {
  let o: Overview
  try {
    o = await getOverview(targetDb())
  } catch (e) {
    return <WidgetError title="Server" error={e} />
  }
  const usedShare = o.connectionsMax ? o.connectionsUsed / o.connectionsMax : 0
  return (
    <div className="grid" data-testid="server-cards">
      <div className="card">
        <div className="stat-label">Server</div>
        <div className="stat">PostgreSQL {o.serverVersion}</div>
        <div className="muted">
          up {formatDuration(o.uptimeSeconds)} (since {formatTimestamp(o.startedAt)})
        </div>
      </div>
      <div className="card">
        <div className="stat-label">Database size</div>
        <div className="stat">{formatBytes(o.databaseSizeBytes)}</div>
      </div>
      <div className="card">
        <div className="stat-label">Connections</div>
        <div className="stat">
          {o.connectionsUsed} <span className="muted">of {o.connectionsMax}</span>
        </div>
        <div className={usedShare >= 0.8 ? 'result bad' : 'muted'}>{Math.round(usedShare * 100)} % in use</div>
      </div>
      <div className="card">
        <div className="stat-label">Tables</div>
        <div className="stat">{formatCount(o.tableCount)}</div>
        <div className="muted">in user schemas</div>
      </div>
    </div>
  )
}
