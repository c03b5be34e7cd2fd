import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AppSessions } from '../../test/app-sessions'
import type { FreshDatabase } from '../../test/fresh-db'
import { type StatementsDatabases, statementsDatabases } from '../../test/statements-databases'
import { loadConfig } from '../config'
import { targetIdentity } from '../db/target-identity'
import { compareQueryPeriods, queryStatHistory } from './query-stats-history'
import { type Baseline, forgetQueryStatsBaseline, loadBaseline, pruneQueryStats, queryStatDeltas, queryStatsDue, sampleQueryStats, type StatementsReading } from './query-stats'
import { runSamplerCycle } from './sampler-cycle'

let dbs: StatementsDatabases
let target: FreshDatabase
let state: FreshDatabase
let client: Awaited<ReturnType<AppSessions['open']>>
const KEY = 'sys-q/dor'
const LOOKUP = 'select note from public.t where id = $1'
const SLEEP = 'select pg_sleep($1)'

beforeAll(async () => {
  dbs = await statementsDatabases('qstats', 100)
  ;({ target, state } = dbs)
  client = await dbs.app.open('dor-app')
})

afterAll(async () => {
  await dbs?.close()
})

async function run(text: string, times: number, values: unknown[] = [1]) {
  for (let i = 0; i < times; i++) await client.query(text, values)
}

async function queryidOf(text: string): Promise<string> {
  const { rows } = await sql<{ queryid: string }>`select queryid::text as queryid from pg_stat_statements
    where query = ${text} and dbid = (select oid from pg_database where datname = current_database())`.execute(target.db)
  return rows[0].queryid
}

async function stored(queryid?: string) {
  let q = state.db.selectFrom('query_stat_sample').select(['calls', 'total_ms', 'rows', 'shared_blks_hit', 'shared_blks_read']).select(sql<string>`queryid::text`.as('qid')).where('target_key', '=', KEY)
  if (queryid) q = q.where('queryid', '=', queryid)
  return q.orderBy('taken_at').execute()
}

describe('query-stats history on a real pg_stat_statements', () => {
  it('stores the calls, time and rows run between two readings, not the dashboard’s own statements', async () => {
    await run(LOOKUP, 3)
    const first = await sampleQueryStats(target.db, state.db, KEY)
    expect(first).toMatchObject({ restart: 'first', stored: 0 })

    await run(LOOKUP, 5, [2])
    await run(SLEEP, 2, [0.03])
    await sql`/* dor-db-admin */ select count(*) from public.t`.execute(target.db)
    const second = await sampleQueryStats(target.db, state.db, KEY)
    expect(second).toMatchObject({ restart: null })

    const [lookupId, sleepId] = [await queryidOf(LOOKUP), await queryidOf(SLEEP)]
    const rows = await stored()
    const lookup = rows.find((r) => r.qid === lookupId)!
    expect(lookup).toMatchObject({ calls: 5, rows: 5 })
    expect(lookup.shared_blks_hit + lookup.shared_blks_read).toBeGreaterThan(0)
    const sleep = rows.find((r) => r.qid === sleepId)!
    expect(sleep.calls).toBe(2)
    expect(sleep.total_ms).toBeGreaterThanOrEqual(55)
    expect(second!.stored).toBe(rows.length)
    const { rows: tagged } = await sql<{ queryid: string }>`select queryid::text as queryid from pg_stat_statements where starts_with(query, '/* dor-db-admin */')`.execute(target.db)
    expect(tagged.length).toBeGreaterThan(0)
    expect(rows.filter((r) => tagged.some((t) => t.queryid === r.qid))).toEqual([])

    const history = await queryStatHistory(state.db, KEY, sleepId, new Date(0), new Date(Date.now() + 60_000))
    expect(history).toHaveLength(1)
    expect(history[0].calls).toBe(2)
    expect(history[0].meanMs).toBeCloseTo(sleep.total_ms / 2, 6)
    expect(history[0].seconds).toBeGreaterThan(0)
  })

  it('a statement reset between readings stores no negative delta and starts again from that reading', async () => {
    const lookupId = await queryidOf(LOOKUP)
    await run(LOOKUP, 4, [3])
    await sampleQueryStats(target.db, state.db, KEY)
    const before = (await stored(lookupId)).length
    const { rows: db } = await sql<{ oid: number }>`select oid from pg_database where datname = current_database()`.execute(target.db)
    await sql`select pg_stat_statements_reset(0, ${db[0].oid}::oid, ${lookupId}::bigint)`.execute(target.db)
    await run(LOOKUP, 2, [4])
    const afterReset = await sampleQueryStats(target.db, state.db, KEY)
    expect(afterReset!.restarted).toBeGreaterThanOrEqual(1)
    expect(await stored(lookupId)).toHaveLength(before)

    await run(LOOKUP, 3, [5])
    await sampleQueryStats(target.db, state.db, KEY)
    const rows = await stored(lookupId)
    expect(rows).toHaveLength(before + 1)
    expect(rows[rows.length - 1]).toMatchObject({ calls: 3, rows: 3 })
    const { rows: negative } = await sql<{ n: number }>`select count(*)::int as n from query_stat_sample
      where calls <= 0 or total_ms < 0 or rows < 0 or shared_blks_hit < 0 or shared_blks_read < 0`.execute(state.db)
    expect(negative[0].n).toBe(0)
  })

  it('after a reset the dashboard made itself (the base forgotten), the next reading stores nothing', async () => {
    await forgetQueryStatsBaseline(state.db, KEY)
    const count = (await stored()).length
    await run(LOOKUP, 2, [6])
    expect(await sampleQueryStats(target.db, state.db, KEY)).toMatchObject({ restart: 'first', stored: 0 })
    expect(await stored()).toHaveLength(count)
  })

  it('a stored base it cannot read counts as none: nothing stored, and the reading replaces it', async () => {
    await state.db.updateTable('query_stat_baseline').set({ counters: JSON.stringify({ 1: 'not counters' }) }).where('target_key', '=', KEY).execute()
    expect(await loadBaseline(state.db, KEY)).toBeNull()
    const count = (await stored()).length
    await run(LOOKUP, 2, [7])
    expect(await sampleQueryStats(target.db, state.db, KEY)).toMatchObject({ restart: 'first', stored: 0 })
    expect(await stored()).toHaveLength(count)
    expect(Object.keys((await loadBaseline(state.db, KEY))!.counters)).toContain(await queryidOf(LOOKUP))
  })

  it('the sampler cycle reads them once per 5-minute bucket', async () => {
    const identity = await targetIdentity(target.db)
    const config = loadConfig({})
    await state.db.deleteFrom('query_stat_baseline').execute()
    const a = await runSamplerCycle(target.db, state.db, identity, config)
    expect(a.queryStats).toMatchObject({ restart: 'first' })
    const b = await runSamplerCycle(target.db, state.db, identity, config)
    // Unless the two samples straddle a bucket boundary, the second one skips the reading.
    const straddled = Math.floor(a.sample.takenAt.getTime() / 300_000) !== Math.floor(b.sample.takenAt.getTime() / 300_000)
    expect(b.queryStats === null).toBe(!straddled)
    expect(await queryStatsDue(state.db, identity.key, new Date(b.sample.takenAt.getTime() + 300_000))).toBe(true)
  })
})

describe('queryStatDeltas', () => {
  const t0 = new Date('2026-12-01T00:00:00Z')
  const t1 = new Date('2026-12-01T00:05:00Z')
  const started = new Date('2026-11-30T00:00:00Z')
  const base: Baseline = { takenAt: t0, postmasterStartAt: started, statsResetAt: started, counters: { '1': [10, 100, 10, 5, 5], '2': [4, 40, 4, 0, 0] } }
  const reading = (over: Partial<StatementsReading>): StatementsReading => ({ at: t1, postmasterStartAt: started, statsResetAt: started, counters: {}, ...over })

  it('a moved stats_reset or a restart stores nothing', () => {
    const counters = { '1': [12, 120, 12, 6, 5] as [number, number, number, number, number] }
    expect(queryStatDeltas(base, reading({ counters, statsResetAt: t1 }))).toEqual({ restart: 'statements_reset', deltas: [], restarted: 0 })
    expect(queryStatDeltas(base, reading({ counters, postmasterStartAt: t1 }))).toEqual({ restart: 'restart', deltas: [], restarted: 0 })
    expect(queryStatDeltas(null, reading({ counters })).restart).toBe('first')
  })

  it('keeps the top statements by time, counts new ones whole, skips ones counted down or recreated', () => {
    const r = queryStatDeltas(
      base,
      reading({ counters: { '1': [12, 120, 12, 6, 5], '2': [1, 5, 1, 0, 0], '3': [2, 500, 2, 1, 1], '4': [1, 1, 1, 0, 0] } }),
      2,
    )
    expect(r.restarted).toBe(1)
    expect(r.deltas).toEqual([
      { queryid: '3', calls: 2, totalMs: 500, rows: 2, sharedBlksHit: 1, sharedBlksRead: 1 },
      { queryid: '1', calls: 2, totalMs: 20, rows: 2, sharedBlksHit: 1, sharedBlksRead: 0 },
    ])
    const recreated = queryStatDeltas(base, reading({ counters: { '1': [12, 120, 12, 6, 5] }, startedAfter: () => new Set(['1']) }))
    expect(recreated).toMatchObject({ deltas: [], restarted: 1 })
  })
})

describe('pruning and the comparison', () => {
  const now = new Date('2026-12-02T12:00:00Z')
  const H = 3600_000
  async function put(queryid: string, hoursAgo: number, calls: number, totalMs: number) {
    const at = new Date(now.getTime() - hoursAgo * H)
    await state.db
      .insertInto('query_stat_sample')
      .values({ target_key: 'sys-c/dor', since: new Date(at.getTime() - 300_000), taken_at: at, queryid, calls, total_ms: totalMs, rows: calls, shared_blks_hit: 0, shared_blks_read: 0 })
      .execute()
  }

  it('compares calls and mean time with the previous equal period', async () => {
    await put('42', 30, 10, 100) // previous 24 h
    await put('42', 40, 10, 300)
    await put('42', 2, 30, 300) // last 24 h
    await put('42', 50, 99, 99_999) // before both
    await put('43', 1, 5, 5) // another statement
    const c = await compareQueryPeriods(state.db, 'sys-c/dor', '42', 24 * H, now)
    expect(c.current).toMatchObject({ calls: 30, totalMs: 300, meanMs: 10, intervals: 1 })
    expect(c.previous).toMatchObject({ calls: 20, totalMs: 400, meanMs: 20, intervals: 2 })
    expect(c.meanChange).toBeCloseTo(0.5, 9)
    expect(c.callsChange).toBeCloseTo(1.5, 9)
    const none = await compareQueryPeriods(state.db, 'sys-c/dor', '7', 24 * H, now)
    expect(none).toMatchObject({ meanChange: null, callsChange: null, current: { meanMs: null, calls: 0 } })
  })

  it('pruning removes the rows past the retention, for every target', async () => {
    const count = async () => (await state.db.selectFrom('query_stat_sample').select(sql<number>`count(*)::int`.as('n')).where('target_key', '=', 'sys-c/dor').executeTakeFirstOrThrow()).n
    expect(await count()).toBe(5)
    expect(await pruneQueryStats(state.db, 36 * H, now)).toBeGreaterThanOrEqual(2)
    expect(await count()).toBe(3)
    const { rows } = await sql<{ oldest: Date }>`select min(taken_at) as oldest from query_stat_sample where target_key = 'sys-c/dor'`.execute(state.db)
    expect(rows[0].oldest.getTime()).toBeGreaterThanOrEqual(now.getTime() - 36 * H)
  })
})
