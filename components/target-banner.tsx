import { Suspense } from 'react'
import { describeUrl } from '@/lib/db/connect'
import { capabilityDb, loginDb, targetDb } from '@/lib/db/server-dbs'
import { describeRole, sessionRole } from '@/lib/db/session-role'
import { dashboardLoginRisks, dashboardLogins, type LoginRisk } from '@/lib/security/dashboard-connections'
import { getTargetIdentity } from '@/lib/overview/overview'
import { serverEnv } from '@/lib/runtime/server-env'
import { describeDbError } from '@/lib/db/db-errors'

/** Which database this dashboard manages, on every page; a clear banner when it does not answer. */
export async function TargetIdentityBar() {
  const env = serverEnv()
  const where = describeUrl(env.targetUrl)
  try {
    const id = await getTargetIdentity(targetDb(), where)
    return (
      <div className="target" data-testid="target-identity">
        <strong>{id.database}</strong>
        <span className="muted">
          {id.host}:{id.port}
        </span>
        <span className="badge muted">PostgreSQL {id.serverVersion}</span>
        <Suspense fallback={null}>
          <MonitorRole />
        </Suspense>
        {env.demo ? <span className="badge demo">embedded demo</span> : <span className="badge prod">live database</span>}
      </div>
    )
  } catch (e) {
    return (
      <div className="target" data-testid="target-identity">
        <strong>{where.database}</strong>
        <span className="muted">
          {where.host}:{where.port}
        </span>
        <span className="badge bad" title={describeDbError(e)}>
          unreachable
        </span>
      </div>
    )
  }
}

export async function TargetUnreachableBanner() {
  const env = serverEnv()
  const where = describeUrl(env.targetUrl)
  try {
    await targetDb().selectNoFrom((eb) => eb.val(1).as('one')).execute()
    return null
  } catch (e) {
    return (
      <div className="banner bad" role="alert">
        The managed database {where.database} at {where.host}:{where.port} is not answering ({describeDbError(e)}). Pages
        that read it will show what they can; this clears when it is back.
      </div>
    )
  }
}

/** The role page reads use (the monitoring login). */
async function MonitorRole() {
  try {
    const role = describeRole(await sessionRole(capabilityDb('monitor')))
    return (
      <span className="muted small" data-testid="target-role">
        read as role {role}
      </span>
    )
  } catch {
    return null
  }
}

// Roles and SSL of a login change rarely: read every few minutes, not on every page.
const RISK_TTL_MS = 5 * 60_000
const riskCache = globalThis as unknown as { __dbadminLoginRisks?: { at: number; risks: Promise<LoginRisk[]> } }

function loginRisks(): Promise<LoginRisk[]> {
  const cached = riskCache.__dbadminLoginRisks
  if (cached && Date.now() - cached.at < RISK_TTL_MS) return cached.risks
  const env = serverEnv()
  const risks = dashboardLoginRisks(dashboardLogins(env.targetUrl, env.capabilities), loginDb)
  riskCache.__dbadminLoginRisks = { at: Date.now(), risks }
  risks.catch(() => {
    riskCache.__dbadminLoginRisks = undefined
  })
  return risks
}

/**
 * A warning on every page while the dashboard logs in to the target as a superuser or as the
 * database's owner, or crosses a network without SSL: one line per login and what it is used for.
 */
export async function ConnectionRiskBanner() {
  let risks: LoginRisk[]
  try {
    risks = await loginRisks()
  } catch {
    // The target not answering has its own banner.
    return null
  }
  const warnings = risks.flatMap((r) => r.risk.warnings.map((w) => ({ ...w, login: r })))
  if (warnings.length === 0) return null
  return (
    <div className="banner warn" data-testid="connection-warnings">
      {warnings.map((w) => (
        // Keyed by the variables, never the URL: a key travels to the browser, and the URL holds the password.
        <div key={w.login.variables.join() + w.code} data-code={w.code}>
          <strong>
            {w.login.variables.join(', ')}
            {w.login.capabilities.length ? ` (${w.login.capabilities.join(', ')})` : ''}:
          </strong>{' '}
          {w.message}
        </div>
      ))}
    </div>
  )
}
