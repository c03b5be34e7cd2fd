import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppSessions } from '../../test/app-sessions'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { listActivity } from './activity'
import { listSlowQueries, resetStatements } from './slow-queries'

let fresh: FreshDatabase
let app: AppSessions

beforeAll(async () => {
  fresh = await freshDatabase('slow_q')
  await sql`create extension pg_stat_statements`.execute(fresh.db)
  await sql`create table public.t (id int primary key, note text)`.execute(fresh.db)
  await sql`insert into public.t select g, 'row ' || g from generate_series(1, 1000) g`.execute(fresh.db)
  app = new AppSessions(fresh.url)
  const s = await app.open('dor-app')
  for (let i = 0; i < 3; i++) await s.query('select pg_sleep(0.2)')
  for (let i = 0; i < 20; i++) await s.query('select note from public.t where id = $1', [i + 1])
  // Spills a sort to temporary files.
  await s.query(`set work_mem = '64kB'`)
  await s.query('select g from generate_series(1, 30000) g order by g desc offset 29999')
  // Aliases are kept in the text (literals are not): for the wildcard search.
  await s.query('select 1 as "100%_x"')
  await s.query('select 1, 2 as "100ab_x"')
})

afterAll(async () => {
  await app?.closeAll()
  await fresh?.drop()
})

describe('listSlowQueries', () => {
  it('lists statements with time, calls, rows, share and hit ratio, the slowest in total first', async () => {
    const list = await listSlowQueries(fresh.db)
    expect(list.status.state).toBe('ready')
    const top = list.queries[0]
    expect(top).toMatchObject({ query: 'select pg_sleep($1)', calls: 3, rows: 3, toplevel: true, user: 'postgres', hidden: false, slow: false })
    expect(top.database).toBe(new URL(fresh.url).pathname.slice(1))
    expect(top.totalMs).toBeGreaterThanOrEqual(590) // pg_sleep's clock and the executor's timer differ slightly
    expect(top.meanMs).toBeCloseTo(top.totalMs / 3, 5)
    expect(top.maxMs).toBeGreaterThanOrEqual(195)
    expect(top.minMs).toBeGreaterThanOrEqual(195)
    expect(top.stddevMs).toBeGreaterThanOrEqual(0)
    expect(top.share).toBeGreaterThan(0.3)
    expect(top.share).toBeLessThanOrEqual(1)
    expect(top.queryid).toMatch(/^-?\d+$/)
    const shares = list.queries.reduce((sum, q) => sum + (q.share ?? 0), 0)
    expect(shares).toBeLessThanOrEqual(1.000001)
    expect(list.totals.statements).toBeGreaterThanOrEqual(list.queries.length)
    expect(list.totals.matched).toBe(list.totals.statements)
    expect(list.statsReset).toBeInstanceOf(Date)
    expect(list.deallocations).toBe(0)
    expect(list.thresholds).toEqual({ slowMeanMs: 20, slowCalls: 100 })

    const lookup = list.queries.find((q) => q.query === 'select note from public.t where id = $1')!
    expect(lookup).toMatchObject({ calls: 20, rows: 20 })
    expect(lookup.hitRatio).toBeGreaterThan(0)
    expect(lookup.hitRatio).toBeLessThanOrEqual(1)
    expect(lookup.sharedBlksHit + lookup.sharedBlksRead).toBeGreaterThan(0)
  })

  it('sorts and pages on the server', async () => {
    const byCalls = await listSlowQueries(fresh.db, { sort: 'calls', limit: 1 })
    expect(byCalls.queries.map((q) => [q.query, q.calls])).toEqual([['select note from public.t where id = $1', 20]])
    expect(byCalls.totals.matched).toBeGreaterThan(1)

    const byTemp = await listSlowQueries(fresh.db, { sort: 'temp', limit: 1 })
    expect(byTemp.queries[0].query).toBe('select g from generate_series($1, $2) g order by g desc offset $3')
    expect(byTemp.queries[0].tempBlksWritten).toBeGreaterThan(0)
    expect(byTemp.queries[0].tempBlksRead).toBeGreaterThan(0)

    const all = await listSlowQueries(fresh.db, { sort: 'mean' })
    const second = await listSlowQueries(fresh.db, { sort: 'mean', limit: 1, offset: 1 })
    expect(second.queries[0].queryid).toBe(all.queries[1].queryid)
    const asc = await listSlowQueries(fresh.db, { sort: 'mean', direction: 'asc' })
    expect(asc.queries.map((q) => q.queryid)).toEqual([...all.queries].reverse().map((q) => q.queryid))

    await expect(listSlowQueries(fresh.db, { sort: 'drop table' as never })).rejects.toMatchObject({ code: 'invalid_input' })
    await expect(listSlowQueries(fresh.db, { limit: 0 })).rejects.toMatchObject({ code: 'invalid_input' })
    await expect(listSlowQueries(fresh.db, { limit: 1001 })).rejects.toMatchObject({ code: 'invalid_input' })
  })

  it('filters by text (wildcards taken literally), calls and user', async () => {
    expect((await listSlowQueries(fresh.db, { search: 'PG_SLEEP' })).queries.map((q) => q.query)).toEqual(['select pg_sleep($1)'])
    expect((await listSlowQueries(fresh.db, { search: '100%_' })).queries.map((q) => q.query)).toEqual(['select $1 as "100%_x"'])
    expect((await listSlowQueries(fresh.db, { search: '100' })).queries).toHaveLength(2)
    expect((await listSlowQueries(fresh.db, { minCalls: 20 })).queries.map((q) => q.calls)).toEqual([20])
    expect((await listSlowQueries(fresh.db, { user: 'nobody_here' })).queries).toEqual([])
    expect((await listSlowQueries(fresh.db, { user: 'postgres', search: 'pg_sleep' })).queries).toHaveLength(1)
    expect((await listSlowQueries(fresh.db, { excludeUsers: ['postgres'] })).queries).toEqual([])
  })

  it("leaves out the dashboard's own statements unless asked, and other databases' unless asked", async () => {
    await listActivity(fresh.db)
    const ours = (q: { query: string }) => q.query.startsWith('/* dor-db-admin */')
    expect((await listSlowQueries(fresh.db, { limit: 1000 })).queries.filter(ours)).toEqual([])
    const included = await listSlowQueries(fresh.db, { includeDashboard: true, limit: 1000 })
    expect(included.queries.filter(ours).some((q) => q.query.includes('pg_stat_activity'))).toBe(true)

    const here = await listSlowQueries(fresh.db, { limit: 1000 })
    const everywhere = await listSlowQueries(fresh.db, { allDatabases: true, limit: 1000 })
    expect(new Set(here.queries.map((q) => q.database))).toEqual(new Set([here.queries[0].database]))
    // The test cluster's setup ran its CREATE DATABASE in the postgres database.
    expect(everywhere.queries.some((q) => q.database !== here.queries[0].database)).toBe(true)
  })

  it("resets one statement, then this database's, leaving other databases' alone", async () => {
    const before = await listSlowQueries(fresh.db, { search: 'pg_sleep' })
    expect(await resetStatements(fresh.db, { queryid: before.queries[0].queryid })).toEqual({ reset: 'statement', queryid: before.queries[0].queryid })
    expect((await listSlowQueries(fresh.db, { search: 'pg_sleep' })).queries).toEqual([])
    expect((await listSlowQueries(fresh.db, { sort: 'calls', limit: 1 })).queries[0].calls).toBe(20)

    await expect(resetStatements(fresh.db, { queryid: '1; select 1' })).rejects.toMatchObject({ code: 'invalid_input' })
    // The postgres database: test files create their databases from there, and none resets it.
    const elsewhere = (await listSlowQueries(fresh.db, { allDatabases: true, limit: 1000 })).queries.filter((q) => q.database === 'postgres')
    expect(elsewhere.length).toBeGreaterThan(0)
    expect(await resetStatements(fresh.db)).toEqual({ reset: 'database', queryid: null })
    const after = await listSlowQueries(fresh.db)
    expect(after.queries).toEqual([])
    expect(after.totals).toEqual({ statements: 0, totalMs: 0, matched: 0 })
    // The whole server's reset is not run here: other test files share the cluster's statistics.
    const stillThere = (await listSlowQueries(fresh.db, { allDatabases: true, limit: 1000 })).queries.map((q) => q.queryid)
    expect(stillThere).toEqual(expect.arrayContaining([elsewhere[0].queryid]))
  })
})
