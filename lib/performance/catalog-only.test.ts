import { type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { createDb, createPool } from '../db/connect'
import { DASHBOARD_SQL_TAG, readAccess } from './access'
import { getSessionQuery, listActivity } from './activity'
import { explainStatement } from './explain'
import { readConnections } from './connections'
import { readIndexFindings } from './index-findings'
import { listIndexes } from './indexes'
import { readMaintenanceProgress } from './maintenance-progress'
import { readSettings } from './settings'
import { listSlowQueries, resetStatements } from './slow-queries'
import { readStatementsStatus } from './statements-extension'
import { listTables, readCacheHitRatios } from './tables'
import { runMaintenance } from './maintenance'

/**
 * Every read of the performance pages works from catalog views and statistics: run them all in
 * one transaction and the transaction's own counters show no scan of any user table or index.
 */
let fresh: FreshDatabase

beforeAll(async () => {
  fresh = await freshDatabase('catalog_only')
  await sql`create extension pg_stat_statements`.execute(fresh.db)
  await sql`create table public.parent (id int primary key, note text)`.execute(fresh.db)
  await sql`create table public.child (id int primary key, parent_id int references public.parent (id), note text)`.execute(fresh.db)
  await sql`create index child_note on public.child (note)`.execute(fresh.db)
  await sql`insert into public.parent select g, 'p' || g from generate_series(1, 2000) g`.execute(fresh.db)
  await sql`insert into public.child select g, 1 + g % 2000, 'c' || g from generate_series(1, 20000) g`.execute(fresh.db)
  await sql`analyze`.execute(fresh.db)
})

afterAll(async () => {
  await fresh?.drop()
})

async function scansIn(trx: Kysely<any>) {
  const { rows } = await sql<{ seq: number; idx: number }>`
    select coalesce(sum(seq_scan), 0)::int as seq, coalesce(sum(idx_scan), 0)::int as idx from pg_stat_xact_user_tables`.execute(trx)
  return rows[0]
}

describe('the performance reads', () => {
  it('touch no user table (and the measure does see a table read)', async () => {
    // A new session: a used one may hold counts of earlier transactions not yet flushed, which the
    // pg_stat_xact views of PostgreSQL 15 include.
    const own = createDb(fresh.url, { max: 1 })
    await own.transaction().execute(async (trx) => {
      await listActivity(trx)
      await getSessionQuery(trx, 1)
      await listSlowQueries(trx, { includeDashboard: true })
      await readStatementsStatus(trx)
      await listIndexes(trx)
      await readIndexFindings(trx)
      await listTables(trx)
      await readCacheHitRatios(trx)
      await readConnections(trx)
      await readSettings(trx, { all: true })
      await readMaintenanceProgress(trx)
      await readAccess(trx)
      expect(await scansIn(trx)).toEqual({ seq: 0, idx: 0 })

      await sql`select count(*) from public.child where id = 5`.execute(trx)
      expect(await scansIn(trx)).toEqual({ seq: 0, idx: 1 })
    })
    await own.destroy()
  })
})

describe("the dashboard's own statements", () => {
  it('all carry the tag, so that the slow-queries list can leave every one of them out', async () => {
    await resetStatements(fresh.db)
    const pool = createPool(fresh.url, { max: 1 })
    try {
      await Promise.all([
        listActivity(fresh.db),
        getSessionQuery(fresh.db, 1),
        listSlowQueries(fresh.db),
        listIndexes(fresh.db),
        readIndexFindings(fresh.db),
        listTables(fresh.db),
        readCacheHitRatios(fresh.db),
        readConnections(fresh.db),
        readSettings(fresh.db),
        readMaintenanceProgress(fresh.db),
      ])
      await explainStatement(pool, { statement: 'select count(*) from public.child where parent_id = $1', params: ['3'], analyze: true })
      await explainStatement(pool, { statement: 'select * from public.child where parent_id = $1' })
      await runMaintenance(fresh.db, { kind: 'analyze', schema: 'public', table: 'parent' })
    } finally {
      await pool.end()
    }
    const all = await listSlowQueries(fresh.db, { includeDashboard: true, limit: 1000 })
    const untagged = all.queries.filter((q) => !q.query.startsWith(DASHBOARD_SQL_TAG))
    expect(untagged.map((q) => q.query)).toEqual([])
    expect(all.queries.length).toBeGreaterThan(20)
    expect((await listSlowQueries(fresh.db, { limit: 1000 })).queries).toEqual([])
  })
})
