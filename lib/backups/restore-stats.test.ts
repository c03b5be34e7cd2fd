import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { createDb } from '../db/connect'
import { restoreStatsSettled } from './restore-stats'

// A drill reads the restore's inserts from the statistics only once pg_restore's sessions, which
// send their counts as they exit, are gone.
let target: FreshDatabase
beforeAll(async () => {
  target = await freshDatabase('restorestats')
  await sql`create table t (v int)`.execute(target.db)
  // The fixture's own pool is another client: closed, so that only the sessions below are connected.
  await target.db.destroy()
})
afterAll(async () => target?.drop())

const inserted = async (db: ReturnType<typeof createDb>) =>
  Number((await sql<{ n: number }>`select pg_stat_get_tuples_inserted('t'::regclass) as n`.execute(db)).rows[0].n)

describe('restoreStatsSettled', () => {
  it('waits for another session to leave, whose inserts are then all in the statistics', async () => {
    const db = createDb(target.url, { max: 1, applicationName: 'drill test' })
    const writer = new pg.Client({ connectionString: target.url, application_name: 'pg_restore' })
    try {
      await writer.connect()
      const before = await inserted(db)
      await writer.query('insert into t select generate_series(1, 1000)')
      const t = Date.now()
      setTimeout(() => void writer.end(), 400)
      expect(await restoreStatsSettled(db, 'drill test')).toBe(true)
      expect(Date.now() - t).toBeGreaterThanOrEqual(350)
      expect((await inserted(db)) - before).toBe(1000)
    } finally {
      await writer.end().catch(() => {})
      await db.destroy()
    }
  })

  it("answers false when another session stays past the timeout, and ignores the drill's own sessions", async () => {
    const db = createDb(target.url, { max: 2, applicationName: 'drill test' })
    const mine = new pg.Client({ connectionString: target.url, application_name: 'drill test' })
    const other = new pg.Client({ connectionString: target.url, application_name: 'someone' })
    try {
      await mine.connect()
      expect(await restoreStatsSettled(db, 'drill test', 200)).toBe(true)
      await other.connect()
      expect(await restoreStatsSettled(db, 'drill test', 200)).toBe(false)
    } finally {
      await Promise.all([mine.end(), other.end()])
      await db.destroy()
    }
  })
})
