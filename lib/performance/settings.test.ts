import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppSessions, waitFor } from '../../test/app-sessions'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { adviseSettings, readSettings, type SettingFacts } from './settings'

let fresh: FreshDatabase
let app: AppSessions

beforeAll(async () => {
  fresh = await freshDatabase('settings')
  await sql`create table public.${sql.id('No Vacuum; here')} (id int) with (autovacuum_enabled = off)`.execute(fresh.db)
  app = new AppSessions(fresh.url)
  const s = await app.open('dor-app')
  await s.query(`set work_mem = '64kB'`)
  await s.query('select g from generate_series(1, 50000) g order by g desc offset 49999')
  await s.query('select pg_stat_force_next_flush()')
  await waitFor(async () => {
    const { rows } = await sql<{ n: number }>`select temp_files as n from pg_stat_database where datname = current_database()`.execute(fresh.db)
    return rows[0].n > 0
  })
})

afterAll(async () => {
  await app?.closeAll()
  await fresh?.drop()
})

describe('readSettings', () => {
  it("lists the server's changed settings with their source, not the dashboard's own session", async () => {
    const r = await readSettings(fresh.db)
    const byName = new Map(r.settings.map((s) => [s.name, s]))
    expect(byName.get('shared_preload_libraries')).toMatchObject({ value: 'pg_stat_statements', source: 'command line', context: 'postmaster', pendingRestart: false })
    expect(byName.get('max_connections')).toMatchObject({ value: '100', source: 'command line', bootValue: '100' })
    expect(byName.has('application_name')).toBe(false)
    expect(byName.has('random_page_cost')).toBe(false)
    expect(r.limitations).toEqual([])
    const all = await readSettings(fresh.db, { all: true })
    expect(all.settings.length).toBeGreaterThan(300)
    expect(all.settings.find((s) => s.name === 'random_page_cost')).toMatchObject({ value: '4', source: 'default', bootValue: '4' })
  })

  it('advises on random_page_cost, work_mem after temp files, and tables without autovacuum', async () => {
    const { advice } = await readSettings(fresh.db)
    expect(advice.map((a) => a.setting)).toEqual(['autovacuum_enabled', 'work_mem', 'random_page_cost'])
    expect(advice[0]).toMatchObject({ current: 'off on 1 table', sql: 'ALTER TABLE public."No Vacuum; here" RESET (autovacuum_enabled);' })
    expect(advice[1]).toMatchObject({ current: '4MB', sql: "ALTER SYSTEM SET work_mem = '8MB';\nSELECT pg_reload_conf();" })
    expect(advice[1].reason).toMatch(/^\d+ temporary files \(.+\) were written since statistics began: sorts and hashes spilled to disk\./)
    expect(advice[2]).toMatchObject({ current: '4', sql: 'ALTER SYSTEM SET random_page_cost = 1.1;\nSELECT pg_reload_conf();', source: { kind: 'postgresql' } })
  })
})

describe('adviseSettings', () => {
  const facts: SettingFacts = {
    shared_buffers: 128 * 1024 ** 2,
    work_mem: 4 * 1024 ** 2,
    random_page_cost: 1.1,
    autovacuum: 'on',
    track_counts: 'on',
    max_connections: 100,
    db_size: 10 * 1024 ** 3,
    temp_files: 0,
    temp_bytes: 0,
    stats_reset: null,
  }

  it('says shared_buffers is at the default when the database outgrows it, and nothing when all is well', () => {
    expect(adviseSettings(facts, []).map((a) => [a.setting, a.current, a.sql])).toEqual([['shared_buffers', '128MB', null]])
    expect(adviseSettings({ ...facts, db_size: 50 * 1024 ** 2 }, [])).toEqual([])
    expect(adviseSettings({ ...facts, shared_buffers: 4 * 1024 ** 3 }, [])).toEqual([])
  })

  it('puts autovacuum and track_counts first, with the statements to turn them on', () => {
    const a = adviseSettings({ ...facts, autovacuum: 'off', track_counts: 'off', db_size: 0 }, [])
    expect(a.map((x) => [x.setting, x.sql])).toEqual([
      ['autovacuum', 'ALTER SYSTEM SET autovacuum = on;\nSELECT pg_reload_conf();'],
      ['track_counts', 'ALTER SYSTEM SET track_counts = on;\nSELECT pg_reload_conf();'],
    ])
  })
})
