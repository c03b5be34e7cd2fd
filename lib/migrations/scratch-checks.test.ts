import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { freshStateDb } from '../../test/state-db'
import { buildDemoDatabase } from '../demo/prepare-demo'
import { readApplied } from './applied'
import { dryRun } from './dry-run'
import { dorMigrationSet } from './registry'
import { rehearseRollbacks } from './rehearsal'
import { detectDrift, replayCheck } from './replay'
import { scratchPrefix } from './scratch-database'
import type { RunActor } from './run-store'

let target: FreshDatabase
let state: Awaited<ReturnType<typeof freshStateDb>>
const set = await dorMigrationSet()
const names = set.defs.map((d) => d.name)
const newest = names[names.length - 1]
let actor: RunActor

async function databases(): Promise<string[]> {
  // Only this target's: other test files make scratch databases of their own at the same time.
  const { rows } = await sql<{ datname: string }>`select datname from pg_database where starts_with(datname, ${scratchPrefix(target.url)})`.execute(target.db)
  return rows.map((r) => r.datname)
}

beforeAll(async () => {
  target = await freshDatabase('checks')
  state = await freshStateDb()
  await buildDemoDatabase(target.db)
  actor = { id: state.users.operator.id, label: state.users.operator.email, source: 'dashboard' }
})
afterAll(async () => {
  await target?.drop()
  await state?.drop()
})

describe('checks on scratch databases and in rolled-back transactions', () => {
  it('dry run captures the SQL of the pending migration and changes nothing', async () => {
    const r = await dryRun(
      { targetUrl: target.url, state: state.db, set, actor, lockTimeoutMs: 2000, statementTimeoutMs: 30_000 },
      { all: true },
    )
    expect(r.ok).toBe(true)
    expect(r.migrations.map((m) => m.name)).toEqual([newest])
    expect(r.migrations[0].statements.map((s) => s.sql)).toEqual([
      'alter table "meeting" add column "location" varchar(200)',
      'create index "agenda_item_user_id_idx" on "agenda_item" ("user_id")',
    ])
    expect((await readApplied(target.db, set.table)).map((a) => a.name)).not.toContain(newest)
    const { rows } = await sql`select 1 from information_schema.columns where table_name = 'meeting' and column_name = 'location'`.execute(target.db)
    expect(rows).toEqual([])
  })

  it('rehearses the pending migration up, down, up on a scratch copy and drops it', async () => {
    const r = await rehearseRollbacks({ targetUrl: target.url, target: target.db, state: state.db, set, actor, pgBinDir: '/usr/lib/postgresql/15/bin' })
    expect(r.steps).toEqual([
      expect.objectContaining({ name: newest, ok: true, downRestores: true, upRepeats: true, downDiff: [], upAgainDiff: [] }),
    ])
    expect(await databases()).toEqual([])
    expect((await readApplied(target.db, set.table)).map((a) => a.name)).not.toContain(newest)
  })

  it('replays the whole chain on an empty database', async () => {
    const r = await replayCheck({ targetUrl: target.url, target: target.db, state: state.db, set, actor })
    expect(r).toMatchObject({ ok: true, applied: names, failed: null })
    expect(await databases()).toEqual([])
  })

  it("finds the demo's drift: the table and index created outside the migrations", async () => {
    const r = await detectDrift({ targetUrl: target.url, target: target.db, state: state.db, set, actor })
    expect(r.comparable).toBe(true)
    const found = r.changes.map((c) => `${c.change} ${c.object} ${c.table ?? ''} ${c.name}`)
    expect(found).toEqual(['added table  meeting_attendee', 'added index meeting meeting_title_idx'])
    expect(await databases()).toEqual([])
  })
})
