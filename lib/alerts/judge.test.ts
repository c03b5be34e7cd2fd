import { describe, expect, it } from 'vitest'
import { METRIC_NAMES, type MetricValues } from '../metrics/metric-names'
import { computeFacts, judge, type SampleValues } from './judge'
import { advance, type LifecyclePosition, OK } from './lifecycle'
import type { EffectiveRule } from './rule-settings'
import { RULE_NAMES, RULES, type RuleName } from './rules'

const T0 = Date.parse('2026-12-03T10:00:00Z')
const at = (s: number) => new Date(T0 + s * 1000)

function sample(s: number, over: Partial<MetricValues>): SampleValues {
  return { takenAt: at(s), metrics: { ...(Object.fromEntries(METRIC_NAMES.map((n) => [n, null])) as MetricValues), intervalSeconds: 15, ...over } }
}

function rule(name: RuleName, over: Partial<EffectiveRule> = {}): EffectiveRule {
  return { ...RULES[name], name, enabled: true, unavailable: null, customised: false, ...over }
}

/** Runs a rule over a series of samples as the sampler would and lists the transitions. */
function run(r: EffectiveRule, series: SampleValues[]): { at: number; transition: string; state: string }[] {
  let pos: LifecyclePosition = OK
  const out: { at: number; transition: string; state: string }[] = []
  series.forEach((s, i) => {
    const j = judge(r, computeFacts(s, series.slice(0, i), null))
    const step = advance(pos, j.holds, s.takenAt, r.forSeconds)
    if (step.transition) out.push({ at: (s.takenAt.getTime() - T0) / 1000, transition: step.transition, state: step.state })
    pos = step
  })
  return out
}

describe('alert rules', () => {
  it('every rule judges a fact the facts provide, with a source and advice', () => {
    const facts = computeFacts(sample(0, {}), [], null)
    for (const name of RULE_NAMES) {
      expect(Object.keys(facts)).toContain(RULES[name].fact)
      expect(RULES[name].source.length).toBeGreaterThan(10)
      expect(RULES[name].advice.length).toBeGreaterThan(10)
    }
  })

  it('a long-running query fires once while it runs and resolves once when it ends', () => {
    const series = [0, 15, 30, 45, 60, 75, 90].map((s) => sample(s, { longestQuerySeconds: s >= 30 && s <= 60 ? s : 0 }))
    expect(run(rule('longRunningQuery'), series)).toEqual([
      { at: 30, transition: 'firing', state: 'firing' },
      { at: 75, transition: 'resolved', state: 'ok' },
    ])
  })

  it('a rule with a duration stays pending until the condition held that long, and a blip never fires', () => {
    const r = rule('cacheHitRatioLow', { forSeconds: 60 })
    const blip = [0, 15, 30, 45, 60, 75, 90].map((s) => sample(s, { cacheHitRatio: s === 15 || s === 30 ? 0.5 : 0.999 }))
    expect(run(r, blip)).toEqual([])
    const lasting = [0, 15, 30, 45, 60, 75, 90, 105].map((s) => sample(s, { cacheHitRatio: s >= 15 && s <= 90 ? 0.5 : 0.999 }))
    expect(run(r, lasting)).toEqual([
      { at: 75, transition: 'firing', state: 'firing' },
      { at: 105, transition: 'resolved', state: 'ok' },
    ])
  })

  it('the error rate is over five minutes of samples and a counter reset (rates unknown) is skipped, not read as zero', () => {
    const r = rule('highErrorRate')
    // 10 tps with 1 rollback a second for a minute; then a pg_stat_reset sample with no rates.
    const series = [0, 15, 30, 45, 60].map((s) => sample(s, { tps: 10, rollbacksPerSecond: s >= 30 ? 1 : 0 }))
    series.push(sample(75, { tps: null, rollbacksPerSecond: null, intervalSeconds: 15 }))
    const facts = computeFacts(series[5], series.slice(0, 5), null)
    // 15 + 15 + 15 rollbacks of 5 × 150 transactions; the reset sample adds nothing.
    expect(facts.rollbackRatio5m).toBeCloseTo(45 / 750, 9)
    expect(run(r, series).map((t) => t.transition)).toEqual(['firing'])
    // Too few transactions to judge: nothing, rather than 1 of 2 = 50 %.
    expect(computeFacts(sample(0, { tps: 0.1, rollbacksPerSecond: 0.05 }), [], null).rollbackRatio5m).toBeNull()
  })

  it('no backup ever counts as missing; a replica that is not there does not lag', () => {
    const none = computeFacts(sample(0, { backupAgeSeconds: null, replicationLagSeconds: null }), [], null)
    expect(judge(rule('backupMissing'), none)).toMatchObject({ holds: true, message: 'No successful full backup of this database is in the backup catalogue.' })
    expect(judge(rule('replicationLag'), none).holds).toBe(false)
    const fresh = computeFacts(sample(0, { backupAgeSeconds: 3600 }), [], null)
    expect(judge(rule('backupMissing'), fresh)).toMatchObject({ holds: false, value: 1, message: 'No successful backup for 26 hours: 1.0 h (below 26.0 h).' })
  })

  it('messages show values in their units', () => {
    const facts = computeFacts(sample(0, { connectionUse: 0.85, longestQuerySeconds: 95 }), [], null)
    expect(judge(rule('connectionsHigh'), facts).message).toBe('Connections near max_connections: 85.0 % (at or above 80.0 %).')
    expect(judge(rule('longRunningQuery'), facts).message).toBe('Query running over 30 seconds: 1 min (at or above 30 s).')
  })
})
