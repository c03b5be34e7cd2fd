import type { Kysely } from 'kysely'
import { CAPABILITY_ENV, type CapabilityUrls, DB_CAPABILITIES, type DbCapability } from '../db/capabilities'
import { type ConnectionRisk, connectionRisk } from './connection-risk'

/** One login the dashboard holds, with what it is used for. */
export interface DashboardLogin {
  url: string
  /** The variables that give this URL: DATABASE_URL first when it is one of them. */
  variables: string[]
  /** The capabilities that use it (none: DATABASE_URL only sets up the rule reader). */
  capabilities: DbCapability[]
}

/**
 * The distinct logins of the dashboard: DATABASE_URL and each capability's URL. A URL counts once,
 * with every capability that uses it; a capability without its own variable uses DATABASE_URL.
 */
export function dashboardLogins(targetUrl: string, capabilities: CapabilityUrls): DashboardLogin[] {
  const byUrl = new Map<string, DashboardLogin>([[targetUrl, { url: targetUrl, variables: ['DATABASE_URL'], capabilities: [] }]])
  for (const c of DB_CAPABILITIES) {
    const url = capabilities[c]
    const login = byUrl.get(url) ?? { url, variables: [], capabilities: [] }
    if (url !== targetUrl) login.variables.push(CAPABILITY_ENV[c])
    login.capabilities.push(c)
    byUrl.set(url, login)
  }
  return [...byUrl.values()]
}

export interface LoginRisk extends DashboardLogin {
  risk: ConnectionRisk
}

/** connectionRisk of each login, on a connection made by `open` for its URL. */
export async function dashboardLoginRisks(logins: DashboardLogin[], open: (url: string) => Kysely<any>): Promise<LoginRisk[]> {
  return Promise.all(logins.map(async (l) => ({ ...l, risk: await connectionRisk(open(l.url), l.url) })))
}
