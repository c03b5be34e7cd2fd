import fs from 'node:fs'
import path from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { alembicTo, copyFixture, type FixtureCopy, FIXTURE_DIR, fixtureSettings, REV, revisionFile } from '../../test/alembic-fixture'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { freshStateDb } from '../../test/state-db'
import { scratchPrefix } from '../migrations/scratch-database'
import { type AlembicCheckOptions, alembicDrift, alembicRehearsal } from './scratch-checks'
import { readAlembicVersion } from './version-table'

type State = Awaited<ReturnType<typeof freshStateDb>>
let state: State
const settings = fixtureSettings()
const PG_BIN = '/usr/lib/postgresql/15/bin'

beforeAll(async () => {
  state = await freshStateDb()
})
afterAll(() => state?.drop())

function options(db: FreshDatabase, overrides: Partial<AlembicCheckOptions> = {}): AlembicCheckOptions {
  return {
    settings,
    targetUrl: db.url,
    target: db.db,
    state: state.db,
    actor: { id: state.users.operator.id, label: state.users.operator.email, source: 'dashboard' },
    pgBinDir: PG_BIN,
    ...overrides,
  }
}

async function scratchLeft(db: FreshDatabase): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select datname as name from pg_database where starts_with(datname, ${scratchPrefix(db.url)})`.execute(db.db)
  return rows.map((r) => r.name)
}

describe('Alembic rehearsal on a scratch copy of the schema', () => {
  let db: FreshDatabase
  let lossy: FixtureCopy
  let ownSettings: FixtureCopy
  beforeAll(async () => {
    db = await freshDatabase('alreh')
    await alembicTo(settings, db.url, REV.merge)
    // A downgrade that forgets to drop what its upgrade made.
    lossy = copyFixture({
      '6f708192a3b4_agenda.py': revisionFile('6f708192a3b4', REV.secretary, 'op.execute("create table agenda_item (id int)")', 'pass'),
    })
    // An env.py that ignores DATABASE_URL and always connects to the real database.
    const env = fs.readFileSync(path.join(FIXTURE_DIR, 'migrations', 'env.py'), 'utf8')
    ownSettings = copyFixture({}, env.replace('url = os.environ.get("DATABASE_URL")', `url = ${JSON.stringify(db.url)}`))
  })
  afterAll(async () => {
    lossy?.remove()
    ownSettings?.remove()
    await db?.drop()
  })

  it('upgrades, downgrades and upgrades again on the copy: the enum change restores, the target is untouched', async () => {
    const r = await alembicRehearsal(options(db))
    expect(r.message).toBe(
      `Rehearsed upgrade to head, downgrade to ${REV.merge} and upgrade again on a scratch copy: the downgrade restores the schema and the upgrade repeats.`,
    )
    expect(r).toMatchObject({ ok: true, possible: true, downRestores: true, upRepeats: true })
    expect(r.steps.map((s) => [s.step, s.ok, s.revisionAfter])).toEqual([
      ['upgrade', true, [REV.secretary]],
      ['downgrade', true, [REV.merge]],
      ['upgrade again', true, [REV.secretary]],
    ])
    expect(await readAlembicVersion(db.db)).toEqual([REV.merge])
    expect(await scratchLeft(db)).toEqual([])
  })

  it('reports a downgrade that does not restore the schema', async () => {
    await alembicTo(settings, db.url, REV.secretary)
    const r = await alembicRehearsal(options(db, { settings: lossy.settings }))
    expect(r.ok).toBe(false)
    expect(r.downRestores).toBe(false)
    expect(r.downDiff.map((c) => [c.object, c.change, c.name])).toEqual([['table', 'added', 'agenda_item']])
    // Upgrading again then fails: the table the downgrade left is in the way.
    expect(r.message).toMatch(
      new RegExp(`^Rehearsal found problems: the downgrade to ${REV.secretary} leaves 1 difference; the upgrade again failed on the scratch copy: .*relation "agenda_item" already exists`),
    )
    expect(await readAlembicVersion(db.db)).toEqual([REV.secretary])
  })

  it('says why it cannot rehearse when env.py ignores DATABASE_URL, and runs nothing on the target', async () => {
    const r = await alembicRehearsal(options(db, { settings: ownSettings.settings }))
    expect(r).toMatchObject({ ok: false, possible: false, steps: [] })
    expect(r.reason).toMatch(/^ALEMBIC_COMMAND does not use the DATABASE_URL the dashboard gives it/)
    expect(r.message).toMatch(/^Cannot rehearse: /)
    expect(await readAlembicVersion(db.db)).toEqual([REV.secretary])
    expect(await scratchLeft(db)).toEqual([])
  })
})

describe('Alembic drift: the chain replayed from empty against the live schema', () => {
  let db: FreshDatabase
  let broken: FixtureCopy
  beforeAll(async () => {
    db = await freshDatabase('aldrift')
    await alembicTo(settings, db.url, REV.secretary)
    // As in DoR-Dash: a revision creating a type that a hand-run script had created first.
    broken = copyFixture({}, undefined)
    fs.writeFileSync(
      path.join(broken.dir, 'migrations', 'versions', '2b3c4d5e6f70_add_meetings.py'),
      revisionFile(REV.meetings, REV.base, 'op.execute("create type userrole as enum (\'X\')")\nop.execute("create table meeting (id serial primary key, title text not null, starts_at timestamptz)")', 'op.execute("drop table meeting")'),
    )
  })
  afterAll(async () => {
    broken?.remove()
    await db?.drop()
  })

  it('finds no drift on a database built by the chain', async () => {
    const r = await alembicDrift(options(db))
    expect(r).toMatchObject({ comparable: true, possible: true, failed: null, changes: [] })
    expect(r.applied).toEqual([REV.base, REV.userName, REV.meetings, REV.merge, REV.secretary])
    expect(r.message).toBe(`No drift: the live schema is exactly what the Alembic chain builds up to ${REV.secretary}.`)
  })

  it('lists what was changed by hand', async () => {
    await sql`create index meeting_title_idx on meeting (title)`.execute(db.db)
    const r = await alembicDrift(options(db))
    expect(r.changes.map((c) => [c.object, c.change, c.name])).toEqual([['index', 'added', 'meeting_title_idx']])
    await sql`drop index meeting_title_idx`.execute(db.db)
  })

  it('reports the revision and the error where a replay from empty breaks, without crashing', async () => {
    const r = await alembicDrift(options(db, { settings: broken.settings }))
    expect(r.comparable).toBe(false)
    expect(r.failed!.revision).toBe(REV.meetings)
    expect(r.failed!.error).toContain('type "userrole" already exists')
    expect(r.message).toMatch(new RegExp(`^Drift cannot be computed: the Alembic chain does not replay from empty; revision ${REV.meetings} fails after \\d revisions?: `))
    expect(await scratchLeft(db)).toEqual([])
  })
})
