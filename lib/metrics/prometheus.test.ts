import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { targetIdentity } from '../db/target-identity'
import { migrateStateDb } from '../state/migrate-state'
import { METRIC_NAMES } from './metric-names'
import { prometheusName, renderPrometheus } from './prometheus'
import { takeSample } from './take-sample'

let target: FreshDatabase
let state: FreshDatabase

beforeAll(async () => {
  ;[target, state] = await Promise.all([freshDatabase('prom_t'), freshDatabase('prom_s')])
  await migrateStateDb(state.db)
})

afterAll(async () => {
  await Promise.all([target?.drop(), state?.drop()])
})

interface Family {
  help?: string
  type?: string
  samples: { labels: Record<string, string>; value: number }[]
}

/**
 * A strict reader of the text format 0.0.4: HELP and TYPE before a family's samples, names and
 * label names of the allowed characters, quoted label values with \\, \" and \n escapes, a number.
 */
function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>()
  const family = (name: string) => families.get(name) ?? families.set(name, { samples: [] }).get(name)!
  expect(text.endsWith('\n')).toBe(true)
  for (const line of text.split('\n').slice(0, -1)) {
    if (line === '') continue
    let m = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line)
    if (m) {
      const f = family(m[2])
      if (m[1] === 'HELP') f.help = m[3]
      else {
        expect(['counter', 'gauge', 'histogram', 'summary', 'untyped']).toContain(m[3])
        expect(f.samples).toEqual([])
        f.type = m[3]
      }
      continue
    }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!m) throw new Error(`not a sample line: ${line}`)
    const labels: Record<string, string> = {}
    const labelText = m[2] ?? ''
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/gy
    let consumed = 0
    for (let l = re.exec(labelText); l; l = re.exec(labelText)) {
      labels[l[1]] = l[2].replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c))
      consumed = re.lastIndex
    }
    expect(consumed).toBe(labelText.length)
    const value = Number(m[3])
    expect(Number.isNaN(value) && m[3] !== 'NaN').toBe(false)
    const f = families.get(m[1])
    if (!f?.type) throw new Error(`sample of ${m[1]} before its TYPE`)
    f.samples.push({ labels, value })
  }
  return families
}

describe('renderPrometheus', () => {
  it('renders the latest sample as valid exposition text, leaving unknown values out', async () => {
    const { key, database } = await targetIdentity(target.db)
    await takeSample(target.db, state.db, key)
    const sample = await takeSample(target.db, state.db, key)
    const { contentType, text } = await renderPrometheus({
      sample,
      database,
      targetKey: key,
      alerts: [
        { rule: 'longRunningQuery', severity: 'warning', state: 'firing' },
        { rule: 'backupFailed', severity: 'critical', state: 'ok' },
      ],
    })
    expect(contentType).toBe('text/plain; version=0.0.4; charset=utf-8')
    const families = parseExposition(text)
    const labels = { database, target: key }
    expect(families.get('dbadmin_sample_present')!.samples).toEqual([{ labels, value: 1 }])
    expect(families.get('dbadmin_db_size_bytes')).toMatchObject({ type: 'gauge', samples: [{ labels, value: sample.metrics.dbSizeBytes }] })
    expect(families.get('dbadmin_xact_commit_total')).toMatchObject({ type: 'counter', samples: [{ labels, value: sample.counters.xactCommit }] })
    expect(families.get('dbadmin_transactions_per_second')!.samples[0].value).toBeCloseTo(sample.metrics.tps!, 9)
    for (const m of METRIC_NAMES) {
      if (sample.metrics[m] === null) expect(families.has(prometheusName(m))).toBe(false)
      else expect(families.get(prometheusName(m))!.help!.length).toBeGreaterThan(5)
    }
    // No replica: no lag series at all.
    expect(families.has('dbadmin_replication_lag_seconds')).toBe(false)
    expect(families.get('dbadmin_alert_firing')!.samples).toEqual([
      { labels: { ...labels, rule: 'longRunningQuery', severity: 'warning' }, value: 1 },
      { labels: { ...labels, rule: 'backupFailed', severity: 'critical' }, value: 0 },
    ])
  })

  it('escapes label values and says when there is no sample yet', async () => {
    const { text } = await renderPrometheus({ sample: null, database: 'we"ird\\db\nname', targetKey: 'addr:local:5432/x' })
    const families = parseExposition(text)
    expect(families.get('dbadmin_sample_present')!.samples).toEqual([{ labels: { database: 'we"ird\\db\nname', target: 'addr:local:5432/x' }, value: 0 }])
    expect([...families.keys()]).toEqual(['dbadmin_sample_present'])
  })
})
