import fs from 'node:fs'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { alembicTo, copyFixture, type FixtureCopy, FIXTURE_DIR, fixtureSettings, REV, revisionFile } from '../../test/alembic-fixture'
import { createDb, withDatabase } from '../db/connect'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { freshStateDb } from '../../test/state-db'
import { targetIdentity } from '../db/target-identity'
import { MigrationLockedError } from '../migrations/run-lock'
import { listRuns } from '../migrations/run-store'
import { applyMigrations } from '../migrations/runner'
import { sqlMigration, testSet } from '../migrations/test-migration-sets'
import { alembicHistory } from './history'
import { alembicOfflineSql } from './offline-sql'
import { runAlembicProcess } from './process'
import { alembicDowngrade, type AlembicRunOptions, alembicUpgrade } from './run'
import { alembicVersionsDir } from './settings'
import { alembicStatus } from './status'
import { readAlembicVersion } from './version-table'

type State = Awaited<ReturnType<typeof freshStateDb>>
let state: State
const settings = fixtureSettings()

beforeAll(async () => {
  state = await freshStateDb()
})
afterAll(() => state?.drop())

function runOptions(url: string, overrides: Partial<AlembicRunOptions> = {}): AlembicRunOptions {
  return {
    settings,
    targetUrl: url,
    state: state.db,
    actor: { id: state.users.admin.id, label: state.users.admin.email, source: 'dashboard' },
    lockTimeoutMs: 2000,
    statementTimeoutMs: 30_000,
    ...overrides,
  }
}

async function at(db: FreshDatabase): Promise<string[] | null> {
  return readAlembicVersion(db.db)
}

describe('Alembic status and history of the fixture project', () => {
  let db: FreshDatabase
  beforeAll(async () => {
    db = await freshDatabase('alst')
    await alembicTo(settings, db.url, REV.userName)
  })
  afterAll(() => db?.drop())

  it('finds the versions folder from alembic.ini and reads the graph: heads, branch point, merge, pending', async () => {
    expect(alembicVersionsDir(settings)).toBe(`${FIXTURE_DIR}/migrations/versions`)
    const s = await alembicStatus(db.db, alembicVersionsDir(settings))
    expect(s.current).toEqual([REV.userName])
    expect(s.heads).toEqual([REV.secretary])
    expect(s.graph!.branchPoints).toEqual([REV.base])
    expect(s.graph!.merges).toEqual([REV.merge])
    expect(s.applied).toEqual([REV.base, REV.userName])
    expect(s.pending).toEqual([REV.meetings, REV.merge, REV.secretary])
    expect(s.atHead).toBe(false)
    expect(s.summary).toBe(`Alembic at ${REV.userName}; one head in the files, 3 revisions pending.`)
  })

  it('says so when there is no alembic_version table, and when the files are unknown', async () => {
    const empty = await freshDatabase('alempty')
    try {
      const s = await alembicStatus(empty.db, null)
      expect(s).toMatchObject({ versionTable: false, current: [], graph: null, atHead: null, summary: 'Alembic: no alembic_version table.' })
    } finally {
      await empty.drop()
    }
  })

  it('lists the history newest first with what is applied, and Alembic’s own history output', async () => {
    const h = await alembicHistory(db.db, settings, db.url, alembicVersionsDir(settings))
    expect(h.error).toBeNull()
    expect(h.entries.map((e) => [e.revision, e.applied, e.current])).toEqual([
      [REV.secretary, false, false],
      [REV.merge, false, false],
      [REV.userName, true, true],
      [REV.meetings, false, false],
      [REV.base, true, false],
    ])
    expect(h.entries[1]).toMatchObject({ merge: true, downRevisions: [REV.meetings, REV.userName] })
    expect(h.entries[4]).toMatchObject({ branchPoint: true })
    expect(h.output).toContain(`${REV.merge} -> ${REV.secretary} (head), add secretary role`)
  })
})

describe('Alembic offline SQL (dry run)', () => {
  let db: FreshDatabase
  beforeAll(async () => {
    db = await freshDatabase('alsql')
    await alembicTo(settings, db.url, REV.merge)
  })
  afterAll(() => db?.drop())

  it('writes the SQL from where the database is to head, changing nothing', async () => {
    const r = await alembicOfflineSql({ settings, targetUrl: db.url, target: db.db, state: state.db, actor: runOptions(db.url).actor }, { direction: 'upgrade', revision: 'head' })
    expect(r.ok).toBe(true)
    expect(r.range).toBe(`${REV.merge}:head`)
    expect(r.sql).toContain("alter type userrole add value 'SECRETARY';")
    expect(r.sql).toContain(`UPDATE alembic_version SET version_num='${REV.secretary}'`)
    expect(r.sql).not.toContain('create table meeting')
    expect(await at(db)).toEqual([REV.merge])
    const [run] = await listRuns(state.db, { targetKey: (await targetIdentity(db.db)).key, limit: 1 })
    expect(run).toMatchObject({ kind: 'alembic_sql', status: 'succeeded' })
  })

  it('writes a downgrade for a range, and refuses a revision that is an option', async () => {
    const r = await alembicOfflineSql({ settings, targetUrl: db.url, target: db.db, state: state.db, actor: runOptions(db.url).actor }, { direction: 'downgrade', revision: REV.base })
    expect(r.ok).toBe(true)
    expect(r.sql).toContain('drop table meeting')
    expect(r.sql).toContain('alter table "user" drop column full_name')
    await expect(
      alembicOfflineSql({ settings, targetUrl: db.url, target: db.db, state: state.db, actor: runOptions(db.url).actor }, { direction: 'upgrade', revision: '--sql' }),
    ).rejects.toMatchObject({ code: 'invalid_input' })
  })
})

describe('Alembic upgrade and downgrade under the run lock', () => {
  let db: FreshDatabase
  beforeAll(async () => {
    db = await freshDatabase('alrun')
    await alembicTo(settings, db.url, REV.merge)
  })
  afterAll(() => db?.drop())

  it('upgrades to head with snapshots before and after, steps and history, confirmed from alembic_version', async () => {
    const r = await alembicUpgrade(runOptions(db.url))
    expect(r.ok).toBe(true)
    expect(r.before).toEqual([REV.merge])
    expect(r.after).toEqual([REV.secretary])
    expect(r.steps).toEqual([{ revision: REV.secretary, direction: 'up', message: 'add secretary role', ok: true }])
    expect(r.message).toBe(`Alembic upgrade to head: 1 revision applied. The database is at ${REV.secretary} (read from alembic_version after the run).`)
    expect(r.changes.map((c) => [c.object, c.change, c.name])).toEqual([['enum_value', 'added', 'userrole']])
    const [run] = await listRuns(state.db, { targetKey: (await targetIdentity(db.db)).key, limit: 1, lockHeld: false })
    expect(run).toMatchObject({ kind: 'alembic_upgrade', status: 'succeeded', startedBy: state.users.admin.email })
    expect(run.snapshotBeforeId).not.toBeNull()
    expect(run.snapshotAfterId).not.toBeNull()
    expect(run.steps.map((s) => [s.name, s.direction, s.status])).toEqual([[`${REV.secretary} add secretary role`, 'up', 'succeeded']])
  })

  it('downgrades through the merge, one step per revision undone', async () => {
    const r = await alembicDowngrade(runOptions(db.url, { snapshots: false }), REV.base)
    expect(r.ok).toBe(true)
    expect(r.after).toEqual([REV.base])
    expect(r.steps.map((s) => [s.revision, s.direction, s.ok])).toEqual([
      [REV.secretary, 'down', true],
      [REV.merge, 'down', true],
      [REV.meetings, 'down', true],
      [REV.userName, 'down', true],
    ])
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_enum e join pg_type t on t.oid = e.enumtypid where t.typname = 'userrole'`.execute(db.db)
    expect(rows[0].n).toBe(3)
    expect((await alembicUpgrade(runOptions(db.url, { snapshots: false }), REV.merge)).after).toEqual([REV.merge])
  })

  it('refuses a downgrade without a valid revision before anything runs', async () => {
    await expect(alembicDowngrade(runOptions(db.url), '')).rejects.toMatchObject({ code: 'invalid_input' })
    await expect(alembicDowngrade(runOptions(db.url), '-c /etc/passwd')).rejects.toMatchObject({ code: 'invalid_input' })
  })
})

describe('Alembic failures', () => {
  let db: FreshDatabase
  let failing: FixtureCopy
  let twoHeads: FixtureCopy
  beforeAll(async () => {
    db = await freshDatabase('alfail')
    failing = copyFixture({ '6f708192a3b4_broken.py': revisionFile('6f708192a3b4', REV.secretary, 'op.execute("create table meeting (id int)")') })
    twoHeads = copyFixture({ '6f708192a3b4_parallel.py': revisionFile('6f708192a3b4', REV.merge, 'op.execute("create table agenda_item (id int)")') })
    await alembicTo(settings, db.url, REV.merge)
  })
  afterAll(async () => {
    failing?.remove()
    twoHeads?.remove()
    await db?.drop()
  })

  it('a failing revision: Alembic’s error, and the database left at the previous revision, reported', async () => {
    const r = await alembicUpgrade(runOptions(db.url, { settings: failing.settings, snapshots: false }))
    expect(r.ok).toBe(false)
    expect(r.error).toContain('relation "meeting" already exists')
    expect(r.after).toEqual([REV.secretary])
    expect(r.steps.map((s) => [s.revision, s.ok])).toEqual([
      [REV.secretary, true],
      ['6f708192a3b4', false],
    ])
    expect(r.message).toMatch(/^Alembic upgrade to head failed \(1 revision applied before it\): sqlalchemy\.exc\.ProgrammingError: .*relation "meeting" already exists/)
    expect(r.message).toContain(`The database is at ${REV.secretary} (read from alembic_version after the run).`)
    const [run] = await listRuns(state.db, { targetKey: (await targetIdentity(db.db)).key, limit: 1, lockHeld: false })
    expect(run).toMatchObject({ kind: 'alembic_upgrade', status: 'failed' })
    expect(run.error).toContain(`The database is at ${REV.secretary}`)
    expect(run.steps.map((s) => s.status)).toEqual(['succeeded', 'failed'])
  })

  it('two heads: upgrade refused with advice, Alembic not run', async () => {
    const before = await at(db)
    await expect(alembicUpgrade(runOptions(db.url, { settings: twoHeads.settings }))).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('alembic merge heads'),
    })
    expect(await at(db)).toEqual(before)
  })
})

describe('Alembic runs and the password', () => {
  let db: FreshDatabase
  let slow: FixtureCopy
  let url: string
  const password = `Pa55-${Date.now().toString(36)}-w0rd`
  beforeAll(async () => {
    db = await freshDatabase('alpw')
    const role = `alembic_${Date.now().toString(36)}`
    await sql`create role ${sql.id(role)} login password ${sql.lit(password)}`.execute(db.db)
    await sql`alter database ${sql.id((await targetIdentity(db.db)).database)} owner to ${sql.id(role)}`.execute(db.db)
    await sql`grant all on schema public to ${sql.id(role)}`.execute(db.db)
    const u = new URL(db.url)
    u.username = role
    u.password = encodeURIComponent(password)
    url = u.toString()
    // Prints what it was given, as a careless env.py might: the captured output must still hide it.
    slow = copyFixture({
      '6f708192a3b4_slow.py': revisionFile(
        '6f708192a3b4',
        REV.secretary,
        [
          "sys.stderr.write('url=' + os.environ['DATABASE_URL'] + ' secret=' + str(os.environ.get('AUTH_SECRET')) + ' state=' + str(os.environ.get('STATE_DATABASE_URL')) + '\\n')",
          'op.execute("select pg_sleep(1.5)")',
        ].join('\n'),
      ),
    })
    await alembicTo(settings, url, REV.secretary)
  })
  afterAll(async () => {
    slow?.remove()
    await db?.drop()
  })

  it('never appears in any process’s arguments, the captured output or the history; a second run is refused by the lock', async () => {
    process.env.AUTH_SECRET = 'auth-secret-that-alembic-must-not-see'
    process.env.STATE_DATABASE_URL = 'postgres://state:state-password@localhost/state'
    const seen = { alembic: false, leaked: [] as string[] }
    let running = true
    const scan = (async () => {
      while (running) {
        for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
          let cmdline: string
          try {
            cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')
          } catch {
            continue
          }
          if (cmdline.includes('alembic upgrade')) seen.alembic = true
          if (cmdline.includes(password) || cmdline.includes(encodeURIComponent(password))) seen.leaked.push(cmdline)
        }
        await new Promise((r) => setTimeout(r, 30))
      }
    })()
    const first = alembicUpgrade(runOptions(url, { settings: slow.settings }))
    // Wait until the slow revision is running, then try a second run and a DoR chain apply.
    await new Promise((r) => setTimeout(r, 900))
    await expect(alembicUpgrade(runOptions(url, { settings: slow.settings }))).rejects.toBeInstanceOf(MigrationLockedError)
    const set = testSet({ '20250101_000001_a': sqlMigration(sql`create table a (id int)`) })
    await expect(applyMigrations({ targetUrl: url, state: state.db, set, actor: runOptions(url).actor, lockTimeoutMs: 2000, statementTimeoutMs: 30_000, snapshots: false }, { all: true })).rejects.toMatchObject({
      message: expect.stringContaining('another migration run is in progress'),
    })
    const r = await first
    running = false
    await scan
    delete process.env.AUTH_SECRET
    delete process.env.STATE_DATABASE_URL
    expect(r.ok).toBe(true)
    expect(seen.alembic).toBe(true)
    expect(seen.leaked).toEqual([])
    expect(r.stderr).toContain('url=[DATABASE_URL] secret=None state=None')
    expect(r.stderr).not.toContain(password)
    const runs = await listRuns(state.db, { targetKey: (await targetIdentity(db.db)).key, limit: 5, lockHeld: false })
    expect(JSON.stringify(runs)).not.toContain(password)
    expect(JSON.stringify(runs)).toContain('url=[DATABASE_URL]')
  })

  it('is stopped after its timeout, after onStop (which cancels its statements on the server)', async () => {
    expect((await alembicDowngrade(runOptions(url, { settings: slow.settings, snapshots: false }), REV.secretary)).after).toEqual([REV.secretary])
    let stopped = false
    const r = await runAlembicProcess(slow.settings, url, ['upgrade', 'head'], {
      timeoutMs: 900,
      onStop: async () => {
        stopped = true
      },
    })
    expect(r).toMatchObject({ ok: false, timedOut: true, cancelled: null })
    expect(stopped).toBe(true)
    expect(r.stderr).toContain('Stopped: it ran longer than 900 ms.')
  })

  it('is cancelled through its AbortSignal: the statement is cancelled on the server and the run recorded as failed', async () => {
    expect((await alembicDowngrade(runOptions(url, { settings: slow.settings, snapshots: false }), REV.secretary)).after).toEqual([REV.secretary])
    const controller = new AbortController()
    const run = alembicUpgrade(runOptions(url, { settings: slow.settings, snapshots: false, signal: controller.signal }))
    setTimeout(() => controller.abort('stopped by the test'), 900)
    const r = await run
    expect(r.ok).toBe(false)
    expect(r.error).toMatch(/^Cancelled: stopped by the test\./)
    expect(r.after).toEqual([REV.secretary])
    const check = createDb(withDatabase(url, (await targetIdentity(db.db)).database), { max: 1 })
    try {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where query like '%pg_sleep(1.5)%' and pid <> pg_backend_pid()`.execute(check)
      expect(rows[0].n).toBe(0)
    } finally {
      await check.destroy()
    }
  })
})
