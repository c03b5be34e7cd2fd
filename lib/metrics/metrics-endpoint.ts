import { createHash, timingSafeEqual } from 'node:crypto'
import { loadRules } from '../alerts/rule-settings'
import type { AlertStatus } from '../alerts/evaluate-alerts'
import type { TargetIdentity } from '../db/target-identity'
import { renderPrometheus } from './prometheus'
import { latestSample } from './sample-store'
import type { StateDb } from '../state/state-db'

export interface MetricsEndpointDeps {
  /** METRICS_TOKEN; null keeps the endpoint off (404, as if it did not exist). */
  token: string | null
  state: StateDb
  /** The target's identity (read once per process and cached): the scrape asks nothing of the target. */
  target(): Promise<Pick<TargetIdentity, 'key' | 'database'>>
  /** STORAGE_LIMIT_BYTES: without it the storage rule is off, and not listed. */
  storageLimitBytes?: number | null
}

const TEXT = { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }

/** Digests first: timingSafeEqual wants equal lengths, and comparing digests does not tell the token's length either. */
export function tokenMatches(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest()
  return timingSafeEqual(digest(given), digest(expected))
}

/**
 * GET /api/metrics for Prometheus: the newest health sample the sampler job stored, and the alert
 * rules' states, in the text format. No session: a scraper sends `Authorization: Bearer <METRICS_TOKEN>`.
 */
export async function metricsEndpoint(request: Request, deps: MetricsEndpointDeps): Promise<Response> {
  if (!deps.token) return new Response('Not found: set METRICS_TOKEN to turn on /api/metrics.\n', { status: 404, headers: TEXT })
  const auth = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get('authorization') ?? '')
  if (!auth || !tokenMatches(auth[1], deps.token)) {
    return new Response('Unauthorized: send Authorization: Bearer <METRICS_TOKEN>.\n', {
      status: 401,
      headers: { ...TEXT, 'www-authenticate': 'Bearer realm="dbadmin metrics"' },
    })
  }
  try {
    const target = await deps.target()
    const [sample, alerts] = await Promise.all([latestSample(deps.state, target.key), alertStates(deps.state, target.key, deps.storageLimitBytes ?? null)])
    const { contentType, text } = await renderPrometheus({ sample, database: target.database, targetKey: target.key, alerts })
    return new Response(text, { status: 200, headers: { 'content-type': contentType, 'cache-control': 'no-store' } })
  } catch (e) {
    console.error('[dbadmin] /api/metrics:', e)
    return new Response('The state database did not answer.\n', { status: 503, headers: TEXT })
  }
}

/** Every enabled rule with its stored state (a rule never evaluated is ok). */
async function alertStates(state: StateDb, targetKey: string, storageLimitBytes: number | null): Promise<Pick<AlertStatus, 'rule' | 'severity' | 'state'>[]> {
  const [rules, rows] = await Promise.all([
    loadRules(state, targetKey, { storageLimitBytes }),
    state.selectFrom('alert_state').select(['rule', 'state']).where('target_key', '=', targetKey).execute(),
  ])
  const byRule = new Map(rows.map((r) => [r.rule as string, r.state as AlertStatus['state']]))
  return rules.filter((r) => r.enabled).map((r) => ({ rule: r.name, severity: r.severity, state: byRule.get(r.name) ?? 'ok' }))
}
