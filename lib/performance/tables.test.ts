import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppSessions, waitFor } from '../../test/app-sessions'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { estimateBloat } from './table-bloat'
import { listTables, readCacheHitRatios } from './tables'

const ODD = 'Order; DROP TABLE x;--'

let fresh: FreshDatabase
let app: AppSessions

beforeAll(async () => {
  fresh = await freshDatabase('tables')
  app = new AppSessions(fresh.url)
  const s = await app.open('dor-app')
  // autovacuum off on these tables: the test, not the launcher, decides when they are vacuumed.
  await s.query(`create table ${'"' + ODD.replace(/"/g, '""') + '"'} (id int primary key, qty int, note text) with (autovacuum_enabled = off, fillfactor = 50)`)
  await s.query('create table public.churn (id int primary key, qty int, pad text) with (autovacuum_enabled = off)')
  await s.query('create table public.wide (id int primary key, doc text) with (autovacuum_enabled = off)')
  await s.query('create table public.never_analysed (id int) with (autovacuum_enabled = off)')
  await s.query(`insert into "${ODD}" select g, g, 'row ' || g from generate_series(1, 10000) g`)
  await s.query(`update "${ODD}" set qty = qty + 1 where id <= 3000`) // HOT: no indexed column changes
  await s.query(`update "${ODD}" set id = -id where id between 9001 and 9200`) // not HOT: the key changes
  await s.query(`delete from "${ODD}" where id between 8001 and 8500`)
  await s.query(`insert into public.churn select g, g, repeat('x', 100) from generate_series(1, 20000) g`)
  await s.query('insert into public.wide select g, repeat(md5(g::text), 400) from generate_series(1, 50) g')
  await s.query('insert into public.never_analysed values (1)')
  // Counts from earlier transactions not yet flushed would be added again on top of ANALYZE's own.
  await s.query('select pg_stat_force_next_flush()')
  await waitFor(async () => {
    const { rows } = await sql<{ n: number }>`select n_tup_del as n from pg_stat_user_tables where relname = ${ODD}`.execute(fresh.db)
    return rows[0]?.n === 500
  })
  await s.query(`analyze "${ODD}", public.wide`)
  // Half the rows deleted and vacuumed: the pages stay, half empty — bloat the estimate should see.
  await s.query('vacuum analyze public.churn')
  await s.query('delete from public.churn where id % 2 = 0')
  await s.query('select pg_stat_force_next_flush()')
  await waitFor(async () => {
    const { rows } = await sql<{ n: number }>`select n_tup_del as n from pg_stat_user_tables where relname = 'churn'`.execute(fresh.db)
    return rows[0]?.n === 10000
  })
  await s.query('vacuum analyze public.churn')
  await s.query('select pg_stat_force_next_flush()')
  await waitFor(async () => {
    const { rows } = await sql<{ n: number }>`select vacuum_count as n from pg_stat_user_tables where relname = 'churn'`.execute(fresh.db)
    return rows[0]?.n === 2
  })
})

afterAll(async () => {
  await app?.closeAll()
  await fresh?.drop()
})

describe('listTables', () => {
  it("reports the runbook's n_tup_ins/upd/del, HOT updates, live and dead rows, scans and upkeep dates", async () => {
    // Ages only grow (other sessions take transaction IDs): read the catalog's before ours.
    const { rows } = await sql<{ age: number }>`select age(relfrozenxid)::int as age from pg_class where relname = 'churn'`.execute(fresh.db)
    const report = await listTables(fresh.db)
    const t = report.tables.find((x) => x.table === ODD)!
    expect(t).toMatchObject({
      schema: 'public',
      qualifiedTable: `public."${ODD}"`,
      inserts: 10000,
      updates: 3200,
      deletes: 500,
      liveRows: 9500,
      deadRows: 3700,
      lastVacuum: null,
      lastAutovacuum: null,
      vacuumCount: 0,
      analyzeCount: 1,
      freezeDue: false,
    })
    expect(t.hotUpdates).toBeGreaterThanOrEqual(2900)
    expect(t.hotUpdates).toBeLessThan(3200)
    expect(t.hotShare).toBeCloseTo(t.hotUpdates / 3200, 5)
    expect(t.deadShare).toBeCloseTo(3700 / 13200, 5)
    expect(t.lastAnalyze).toBeInstanceOf(Date)
    expect(t.warnings.map((w) => w.threshold)).toEqual(['deadTupleShare'])
    expect(t.warnings[0].message).toBe('28 % of its rows are dead: VACUUM it, and check why autovacuum has not (long transactions hold dead rows back).')
    expect(report.freezeMaxAge).toBe(200_000_000)

    const churn = report.tables.find((x) => x.table === 'churn')!
    expect(churn.xidAge).toBeGreaterThanOrEqual(rows[0].age)
    expect(churn.xidLeft).toBe(2 ** 31 - 3_000_000 - churn.xidAge)
    expect(churn).toMatchObject({ vacuumCount: 2, deadRows: 0, liveRows: 10000 })
    expect(churn.lastVacuum).toBeInstanceOf(Date)
  })

  it('gives sizes with indexes and TOAST', async () => {
    const wide = (await listTables(fresh.db, { table: 'wide' })).tables
    expect(wide).toHaveLength(1)
    const w = wide[0]
    expect(w.toastBytes).toBeGreaterThan(0)
    expect(w.indexBytes).toBeGreaterThan(0)
    expect(w.heapBytes).toBeGreaterThan(0)
    expect(w.totalBytes).toBeGreaterThanOrEqual(w.heapBytes + w.toastBytes + w.indexBytes)
    // Summed from its parts, each measured once: still what PostgreSQL calls the total, and the order of the list.
    const { rows } = await sql<{ total: string; table_only: string }>`
      select pg_total_relation_size(c.oid) as total, pg_table_size(c.oid) as table_only from pg_class c where c.oid = ${w.oid}`.execute(fresh.db)
    expect(w.totalBytes).toBe(Number(rows[0].total))
    expect(w.totalBytes - w.indexBytes).toBe(Number(rows[0].table_only))
    const all = (await listTables(fresh.db)).tables.map((t) => t.totalBytes)
    expect(all).toEqual([...all].sort((a, b) => b - a))
  })

  it('estimates bloat from statistics: about half of a table whose every other row was deleted', async () => {
    const { tables } = await listTables(fresh.db)
    const churn = tables.find((x) => x.table === 'churn')!.bloat!
    expect(churn.note).toBeNull()
    expect(churn.bloatShare).toBeGreaterThan(0.4)
    expect(churn.bloatShare).toBeLessThan(0.6)
    expect(churn.bloatBytes! + churn.expectedBytes!).toBe(churn.realBytes)
    const fresh_ = tables.find((x) => x.table === 'wide')!.bloat!
    expect(fresh_.bloatShare).toBeLessThan(0.2)
    expect(tables.find((x) => x.table === 'never_analysed')!.bloat).toMatchObject({
      bloatBytes: null,
      note: 'No estimate: the table has not been analysed yet (run ANALYZE).',
    })
  })

  it('reads cache hit ratios', async () => {
    const r = await readCacheHitRatios(fresh.db)
    expect(r.threshold).toBe(0.99)
    for (const v of [r.database, r.tables, r.indexes]) {
      expect(v).toBeGreaterThan(0)
      expect(v).toBeLessThanOrEqual(1)
    }
  })
})

describe('estimateBloat', () => {
  it('fits rows of the average width into pages, header and line pointer included', () => {
    // 8 kB pages, 24-byte header: 8168 usable; a 40-byte row takes 24 + 40 + 4 = 68 bytes → 120 per page.
    const e = estimateBloat({ relpages: 100, reltuples: 6000, blockSize: 8192, fillfactor: 100, columns: 3, columnsWithStats: 3, hasNulls: false, dataWidth: 40 })
    expect(e).toEqual({ expectedPages: 50, bloatPages: 50, share: 0.5 })
    // A fillfactor of 50 means twice the pages are expected: no bloat then.
    expect(estimateBloat({ relpages: 100, reltuples: 6000, blockSize: 8192, fillfactor: 50, columns: 3, columnsWithStats: 3, hasNulls: false, dataWidth: 40 }).bloatPages).toBe(0)
    // Nulls add a bitmap to the header: 23 + 1 → still 24 once aligned.
    expect(estimateBloat({ relpages: 1, reltuples: 120, blockSize: 8192, fillfactor: 100, columns: 3, columnsWithStats: 3, hasNulls: true, dataWidth: 40 }).expectedPages).toBe(1)
  })
})
