import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { waitFor } from '../../test/app-sessions'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { freshStateDb } from '../../test/state-db'
import { targetIdentity } from '../db/target-identity'
import { INDEX_SUMMARY_MAX_AGE_MS, indexFingerprint, indexSummary } from './index-summary'

let target: FreshDatabase
let state: Awaited<ReturnType<typeof freshStateDb>>
let key: string

beforeAll(async () => {
  ;[target, state] = await Promise.all([freshDatabase('index_summary_t'), freshStateDb()])
  key = (await targetIdentity(target.db)).key
  await sql`create table "ünïcode t" (id int primary key, v int)`.execute(target.db)
  await sql`insert into "ünïcode t" select g, g from generate_series(1, 100) g`.execute(target.db)
})
afterAll(async () => {
  await Promise.all([target?.drop(), state?.drop()])
})

describe("the Overview's index counts", () => {
  it('are listed once, then read from the state database until the index catalogue changes or an hour passes', async () => {
    const first = await indexSummary(state.db, target.db, key)
    expect(first).toMatchObject({ invalid: 0, duplicate: 0, unused: 0, fresh: true })
    expect(await indexSummary(state.db, target.db, key)).toMatchObject({ fresh: false, checkedAt: first.checkedAt })

    // A new index changes the fingerprint: listed again, and found unused.
    await sql`create index "v one" on "ünïcode t" (v)`.execute(target.db)
    expect(await indexSummary(state.db, target.db, key)).toMatchObject({ unused: 1, duplicate: 0, fresh: true })
    await sql`create index "v two" on "ünïcode t" (v)`.execute(target.db)
    expect(await indexSummary(state.db, target.db, key)).toMatchObject({ unused: 1, duplicate: 1, fresh: true })
    await sql`drop index "v two"`.execute(target.db)
    expect(await indexSummary(state.db, target.db, key)).toMatchObject({ unused: 1, duplicate: 0, fresh: true })

    // Its first scan too: it is no longer unused.
    const before = await indexFingerprint(target.db)
    await target.db.connection().execute(async (c) => {
      await sql`set enable_seqscan = off`.execute(c)
      await sql`select * from "ünïcode t" where v = 7`.execute(c)
      await sql`select pg_stat_force_next_flush()`.execute(c)
    })
    await waitFor(async () => (await indexFingerprint(target.db)) !== before, 10_000, 'the scan in the statistics')
    expect(await indexSummary(state.db, target.db, key)).toMatchObject({ unused: 0, fresh: true })
    // Further scans change nothing that counts.
    await sql`select * from "ünïcode t" where v = 8`.execute(target.db)
    expect(await indexSummary(state.db, target.db, key)).toMatchObject({ fresh: false })

    // An hour on, listed again whatever the fingerprint.
    expect(await indexSummary(state.db, target.db, key, new Date(Date.now() + INDEX_SUMMARY_MAX_AGE_MS))).toMatchObject({ fresh: true })
  })
})
