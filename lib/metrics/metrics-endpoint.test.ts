import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { freshStateDb } from '../../test/state-db'
import { targetIdentity } from '../db/target-identity'
import { metricsEndpoint, tokenMatches } from './metrics-endpoint'
import { takeSample } from './take-sample'

let target: FreshDatabase
let state: FreshDatabase
const TOKEN = 'scrape-token-0123456789abcdef'

beforeAll(async () => {
  ;[target, state] = await Promise.all([freshDatabase('metrics_ep_t'), freshStateDb()])
})
afterAll(async () => {
  await target?.drop()
  await state?.drop()
})

const get = (headers: Record<string, string> = {}) => new Request('http://localhost/api/metrics', { headers })
const deps = (token: string | null) => ({ token, state: state.db, target: () => targetIdentity(target.db) })

describe('GET /api/metrics', () => {
  it('is off (404) without METRICS_TOKEN, even with a bearer token', async () => {
    const res = await metricsEndpoint(get({ authorization: `Bearer ${TOKEN}` }), deps(null))
    expect(res.status).toBe(404)
    expect(await res.text()).toContain('METRICS_TOKEN')
  })

  it('refuses a missing, wrong or differently long token with 401 and no metrics', async () => {
    for (const h of [{} as Record<string, string>, { authorization: 'Bearer wrong-token-0123456789abcdef' }, { authorization: `Bearer ${TOKEN}x` }, { authorization: `Basic ${TOKEN}` }, { authorization: TOKEN }]) {
      const res = await metricsEndpoint(get(h), deps(TOKEN))
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="dbadmin metrics"')
      expect(await res.text()).not.toContain('dbadmin_')
    }
    expect(tokenMatches(TOKEN, TOKEN)).toBe(true)
    expect(tokenMatches('', TOKEN)).toBe(false)
  })

  it('answers the newest sample in the Prometheus text format with the right token, without asking the target', async () => {
    const before = await metricsEndpoint(get({ authorization: `Bearer ${TOKEN}` }), deps(TOKEN))
    expect(before.status).toBe(200)
    expect(await before.text()).toMatch(/^dbadmin_sample_present\{database="[^"]+",target="[^"]+"\} 0$/m)

    const key = (await targetIdentity(target.db)).key
    const sample = await takeSample(target.db, state.db, key)
    await sql`insert into alert_state (target_key, rule, state, evaluated_at) values (${key}, 'longRunningQuery', 'firing', now())`.execute(state.db)
    // The endpoint gets the state database and the identity only: nothing to reach the target with.
    const identity = { key, database: target.url.split('/').pop()! }
    const res = await metricsEndpoint(get({ authorization: `Bearer ${TOKEN}` }), { token: TOKEN, state: state.db, target: async () => identity })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/plain')
    const text = await res.text()
    expect(text).toMatch(/^dbadmin_sample_present\{.*\} 1$/m)
    expect(text).toContain(`dbadmin_connections_total{database="${target.url.split('/').pop()}",target="${key}"} ${sample.metrics.connectionsTotal}`)
    expect(text).toMatch(/^# TYPE dbadmin_xact_commit_total counter$/m)
    expect(text).toMatch(/^dbadmin_alert_firing\{.*rule="longRunningQuery".*\} 1$/m)
    expect(text).toMatch(/^dbadmin_alert_firing\{.*rule="cacheHitRatioLow".*\} 0$/m)
    // Unknown values are left out, not sent as 0.
    expect(text).not.toContain('dbadmin_replication_lag_seconds')
  })
})
