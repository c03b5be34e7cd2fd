import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppSessions, waitFor } from '../test/app-sessions'
import { type FreshDatabase, freshDatabase } from '../test/fresh-db'
import { lines, runDbadmin } from '../test/run-command'

let target: FreshDatabase
let state: FreshDatabase
let app: AppSessions

beforeAll(async () => {
  ;[target, state] = await Promise.all([freshDatabase('cli_perf_target'), freshDatabase('cli_perf_state')])
  app = new AppSessions(target.url)
  await sql`create extension if not exists pg_stat_statements`.execute(target.db)
  await sql`create table public.orders (id int primary key, customer int, note text)`.execute(target.db)
  await sql`insert into public.orders select g, g % 10, 'n' from generate_series(1, 500) g`.execute(target.db)
  await sql`create index orders_customer on public.orders (customer)`.execute(target.db)
  await sql`create index orders_customer_2 on public.orders (customer)`.execute(target.db)
  for (let i = 0; i < 5; i++) await sql`select count(*) from public.orders where customer = ${i}`.execute(target.db)
  // A backend hands its table counters to the statistics at most once a second, or when idle for
  // up to 10 s: on a busy machine the inserts may not be counted yet when the CLI reads them.
  for (let i = 0; i < 150; i++) {
    const { rows } = await sql<{ n: string }>`select coalesce(sum(n_tup_ins), 0) as n from pg_stat_user_tables where relname = 'orders'`.execute(target.db)
    if (Number(rows[0].n) >= 500) break
    await new Promise((r) => setTimeout(r, 100))
  }
}, 60_000)
afterAll(async () => {
  await app?.closeAll()
  await Promise.all([target?.drop(), state?.drop()])
})

const env = () => ({ DATABASE_URL: target.url, STATE_DATABASE_URL: state.url })

describe('dbadmin performance commands', () => {
  it('slow-queries --json --limit N --sort mean prints the documented shape', async () => {
    const r = await runDbadmin(['slow-queries', '--json', '--limit', '3', '--sort', 'mean'], env())
    expect(r.code, r.stderr).toBe(0)
    const { queries } = JSON.parse(r.stdout)
    expect(queries.length).toBeGreaterThan(0)
    expect(queries.length).toBeLessThanOrEqual(3)
    for (const q of queries) expect(Object.keys(q).sort()).toEqual(['calls', 'hitRatio', 'maxMs', 'meanMs', 'query', 'queryid', 'rows', 'totalMs'])
    const means = queries.map((q: { meanMs: number }) => q.meanMs)
    expect(means).toEqual([...means].sort((a, b) => b - a))
    expect(queries.some((q: { query: string }) => q.query.includes('public.orders'))).toBe(true)
  })

  it.each([
    [['slow-queries', '--sort', 'max'], '--sort must be one of total, mean, calls, not "max"'],
    [['maintenance', 'reindex', '--table', 'orders', '--index', 'x'], 'reindex takes either --table TABLE or --index INDEX'],
  ])('%j is refused with one line and exit 2', async (argv, message) => {
    const r = await runDbadmin(argv, env())
    expect(r.stderr).toBe(`dbadmin: ${message}\n`)
    expect(r.code).toBe(2)
  })

  it('indexes --json reports the duplicate with its DROP; tables --json the table', async () => {
    const i = await runDbadmin(['indexes', '--json'], env())
    expect(i.code, i.stderr).toBe(0)
    const { findings, indexes } = JSON.parse(i.stdout)
    expect(indexes.map((x: { name: string }) => x.name)).toEqual(expect.arrayContaining(['orders_pkey', 'orders_customer', 'orders_customer_2']))
    expect(findings).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'duplicate', sql: expect.stringMatching(/^DROP INDEX CONCURRENTLY public\.orders_customer/) })]))
    const t = await runDbadmin(['tables', '--json'], env())
    expect(t.code, t.stderr).toBe(0)
    expect(JSON.parse(t.stdout).tables).toEqual([expect.objectContaining({ qualifiedTable: 'public.orders', inserts: 500 })])
  })

  it('explain --json gives the plan; --analyze of a write is refused with exit 1 and changes nothing', async () => {
    const ok = await runDbadmin(['explain', '--json', '--sql', 'select * from public.orders where customer = $1', '--params', '["3"]'], env())
    expect(ok.code, ok.stderr).toBe(0)
    expect(JSON.parse(ok.stdout)).toMatchObject({ mode: 'custom', parameterTypes: ['integer'], plan: { root: { nodeType: expect.any(String) } } })
    const bad = await runDbadmin(['explain', '--analyze', '--sql', 'delete from public.orders'], env())
    expect(bad.code).toBe(1)
    expect(lines(bad.stderr)).toHaveLength(1)
    expect((await sql<{ n: number }>`select count(*)::int as n from public.orders`.execute(target.db)).rows[0].n).toBe(500)
  })

  it('maintenance vacuum --analyze runs as a recorded job; activity and health --json show a lock wait', async () => {
    const m = await runDbadmin(['maintenance', 'vacuum', '--table', 'orders', '--analyze', '--json'], env())
    expect(m.code, m.stderr).toBe(0)
    expect(JSON.parse(m.stdout)).toMatchObject({ status: 'succeeded', statement: 'VACUUM (ANALYZE) public.orders;', startedBy: 'cli' })

    const holder = await app.open('dor-app')
    await holder.query('begin')
    await holder.query('lock table public.orders in access exclusive mode')
    const waiter = await app.open('dor-app')
    void app.start(waiter, 'select count(*) from public.orders')
    await waitFor(async () => (await sql<{ n: number }>`select count(*)::int as n from pg_locks where not granted and pid = ${waiter.pid}`.execute(target.db)).rows[0].n > 0, 10_000, 'the lock wait')
    const a = await runDbadmin(['activity', '--json'], env())
    expect(a.code, a.stderr).toBe(0)
    const activity = JSON.parse(a.stdout)
    expect(activity.blocking).toEqual([expect.objectContaining({ pid: holder.pid, children: [expect.objectContaining({ pid: waiter.pid })] })])
    const h = await runDbadmin(['health', '--json'], env())
    expect(h.code, h.stderr).toBe(0)
    expect(JSON.parse(h.stdout).blocked).toEqual([{ pid: waiter.pid, blockedBy: [holder.pid], waitingFor: expect.stringContaining('AccessShareLock') }])
    await holder.query('rollback')
  })
})
