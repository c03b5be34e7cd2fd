import { sql } from 'kysely'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { AppSessions, waitFor } from '../../test/app-sessions'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { getSessionQuery, listActivity, type Session } from './activity'
import { cancelBackend, terminateBackend } from './signal-backend'

let fresh: FreshDatabase
let app: AppSessions

beforeAll(async () => {
  fresh = await freshDatabase('activity')
  app = new AppSessions(fresh.url)
  await sql`create table public.t (id int primary key, note text)`.execute(fresh.db)
  await sql`insert into public.t select g, 'row ' || g from generate_series(1, 10) g`.execute(fresh.db)
})

afterEach(async () => {
  await app.closeAll()
})

afterAll(async () => {
  await fresh?.drop()
})

async function sessionOf(pid: number, check: (s: Session) => boolean = () => true, opts = {}): Promise<Session> {
  return waitFor(async () => {
    const s = (await listActivity(fresh.db, opts)).sessions.find((x) => x.pid === pid)
    return s && check(s) ? s : undefined
  }, 10_000, `session ${pid}`)
}

describe('listActivity', () => {
  it('shows a pg_sleep session with its client, user, database and duration, long past the threshold', async () => {
    const sleeper = await app.open('dor-app')
    const running = app.start(sleeper, 'select pg_sleep(60) /* the sleeper */')
    const s = await sessionOf(sleeper.pid, (x) => x.state === 'active' && (x.durationSeconds ?? 0) >= 1.2, { longSeconds: 1, veryLongSeconds: 600 })
    expect(s).toMatchObject({
      database: new URL(fresh.url).pathname.slice(1),
      user: 'postgres',
      superuser: true,
      applicationName: 'dor-app',
      client: '127.0.0.1',
      backendType: 'client backend',
      waitEventType: 'Timeout',
      waitEvent: 'PgSleep',
      queryPreview: 'select pg_sleep(60) /* the sleeper */',
      queryTruncated: false,
      idleInTransaction: false,
      running: 'long',
      dashboard: false,
      self: false,
      hidden: false,
      blockedBy: [],
      waitingFor: null,
    })
    expect(s.clientPort).toBeGreaterThan(0)
    expect(s.queryStart).toBeInstanceOf(Date)

    // The runbook's thresholds: 1.2 s is neither 30 s nor 5 min.
    const byDefault = (await listActivity(fresh.db)).sessions.find((x) => x.pid === sleeper.pid)!
    expect(byDefault.running).toBe('ok')
    const veryLong = (await listActivity(fresh.db, { longSeconds: 0.5, veryLongSeconds: 1 })).sessions.find((x) => x.pid === sleeper.pid)!
    expect(veryLong.running).toBe('very-long')
    const activity = await listActivity(fresh.db, { longSeconds: 0.5, veryLongSeconds: 1 })
    expect(activity.counts.veryLong).toBeGreaterThanOrEqual(1)
    expect(activity.thresholds).toEqual({ longSeconds: 0.5, veryLongSeconds: 1 })
    expect(activity.limitations).toEqual([])

    // Cancelled: the statement fails, the session stays.
    expect(await cancelBackend(fresh.db, sleeper.pid)).toMatchObject({ ok: true, kind: 'cancel' })
    expect(await running).toMatchObject({ ok: false, code: '57014' })
    expect((await sleeper.query('select 1 as one')).rows).toEqual([{ one: 1 }])
  })

  it('terminates a session: its transaction is rolled back and it is gone', async () => {
    const victim = await app.open('dor-app')
    await victim.query('begin')
    await victim.query(`update public.t set note = 'changed' where id = 1`)
    const running = app.start(victim, 'select pg_sleep(60)')
    await sessionOf(victim.pid, (x) => x.state === 'active')
    const result = await terminateBackend(fresh.db, victim.pid)
    expect(result).toMatchObject({ ok: true, kind: 'terminate' })
    expect(await running).toMatchObject({ ok: false, code: '57P01' })
    expect((await listActivity(fresh.db)).sessions.some((s) => s.pid === victim.pid)).toBe(false)
    const { rows } = await sql<{ note: string }>`select note from public.t where id = 1`.execute(fresh.db)
    expect(rows).toEqual([{ note: 'row 1' }])
  })

  it('marks idle in transaction and measures the open transaction', async () => {
    const idler = await app.open('dor-app')
    await idler.query('begin')
    await idler.query('select count(*) from public.t')
    const s = await sessionOf(idler.pid, (x) => x.idleInTransaction && (x.durationSeconds ?? 0) > 0.3, { longSeconds: 0.3 })
    expect(s).toMatchObject({ state: 'idle in transaction', running: 'long', queryPreview: 'select count(*) from public.t' })
    expect(s.xactStart).toBeInstanceOf(Date)
  })

  it('keeps a preview of long queries and gives the full text on demand', async () => {
    const talker = await app.open('dor-app')
    const text = `select pg_sleep(30), '${'x'.repeat(500)}' as padding`
    const running = app.start(talker, text)
    const s = await sessionOf(talker.pid, (x) => x.state === 'active', { previewChars: 40 })
    expect(s.queryPreview).toBe(text.slice(0, 40))
    expect(s.queryTruncated).toBe(true)
    expect(s.queryLength).toBe(text.length)
    expect(await getSessionQuery(fresh.db, talker.pid)).toMatchObject({ pid: talker.pid, query: text, state: 'active', hidden: false })
    expect(await getSessionQuery(fresh.db, 2 ** 31 - 1)).toBeNull()
    await cancelBackend(fresh.db, talker.pid)
    await running
  })

  it('shows a lock wait with its blocker, the lock it waits for and the chain as a tree', async () => {
    // The classic: an idle transaction holds a read lock, a migration queues for an exclusive lock,
    // and every read after it queues behind the migration.
    const holder = await app.open('dor-app')
    const migration = await app.open('dor-app')
    const reader = await app.open('dor-app')
    await holder.query('begin')
    await holder.query('select count(*) from public.t')
    const migrationWaits = app.start(migration, 'alter table public.t add column extra int')
    await sessionOf(migration.pid, (x) => x.blockedBy.length > 0)
    const readerWaits = app.start(reader, 'select count(*) from public.t')
    await sessionOf(reader.pid, (x) => x.blockedBy.length > 0)

    const activity = await listActivity(fresh.db)
    const byPid = new Map(activity.sessions.map((s) => [s.pid, s]))
    expect(byPid.get(migration.pid)).toMatchObject({
      blockedBy: [holder.pid],
      rootBlocker: holder.pid,
      waitEventType: 'Lock',
      waitEvent: 'relation',
      waitingFor: {
        lockType: 'relation',
        mode: 'AccessExclusiveLock',
        schema: 'public',
        relation: 't',
        description: 'AccessExclusiveLock on relation public.t',
      },
    })
    // The reader does not conflict with the holder, only with the migration queued ahead of it.
    expect(byPid.get(reader.pid)).toMatchObject({
      blockedBy: [migration.pid],
      rootBlocker: holder.pid,
      waitingFor: { mode: 'AccessShareLock', description: 'AccessShareLock on relation public.t' },
    })
    expect(byPid.get(holder.pid)).toMatchObject({ blockedBy: [], rootBlocker: null, idleInTransaction: true, waitingFor: null })

    const tree = activity.blocking.find((n) => n.pid === holder.pid)
    expect(tree).toMatchObject({
      pid: holder.pid,
      depth: 0,
      waitingBehind: 2,
      waitingFor: null,
      children: [
        {
          pid: migration.pid,
          depth: 1,
          waitingBehind: 1,
          waitingFor: { mode: 'AccessExclusiveLock', relation: 't' },
          children: [{ pid: reader.pid, depth: 2, waitingBehind: 0, blockedBy: [migration.pid], children: [] }],
        },
      ],
    })
    expect(activity.counts.waiting).toBeGreaterThanOrEqual(2)

    await holder.query('rollback')
    expect(await migrationWaits).toEqual({ ok: true })
    expect(await readerWaits).toEqual({ ok: true })
  })

  it('shows a row lock wait as waiting for the holder transaction', async () => {
    const holder = await app.open('dor-app')
    const waiter = await app.open('dor-app')
    await holder.query('begin')
    await holder.query(`update public.t set note = 'held' where id = 2`)
    const { rows } = await holder.query<{ xid: string }>('select pg_current_xact_id()::text as xid')
    const waits = app.start(waiter, `update public.t set note = 'waiting' where id = 2`)
    const s = await sessionOf(waiter.pid, (x) => x.blockedBy.length > 0)
    expect(s.waitingFor).toMatchObject({ lockType: 'transactionid', mode: 'ShareLock', transactionId: rows[0].xid, description: `ShareLock on transaction ${rows[0].xid}` })
    expect(s.blockedBy).toEqual([holder.pid])
    await holder.query('rollback')
    expect(await waits).toEqual({ ok: true })
  })
})

describe('cancel and terminate refusals', () => {
  it("never signals the dashboard's own sessions, nor this very connection", async () => {
    const ours = await app.open('dor-db-admin')
    const cli = await app.open('dbadmin cli')
    for (const pid of [ours.pid, cli.pid]) {
      for (const f of [cancelBackend, terminateBackend]) {
        expect(await f(fresh.db, pid)).toMatchObject({ ok: false, code: 'dashboard' })
      }
    }
    const self = await fresh.db.connection().execute(async (conn) => {
      const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(conn)
      return terminateBackend(conn, rows[0].pid)
    })
    expect(self).toMatchObject({ ok: false, code: 'dashboard' })
    expect(self.ok === false && self.reason).toContain("dashboard's own connections")
    expect((await ours.query('select 1 as one')).rows).toEqual([{ one: 1 }])
  })

  it('refuses server processes and unknown pids with a reason', async () => {
    const { rows } = await sql<{ pid: number }>`
      select pid from pg_stat_activity where backend_type = 'checkpointer'`.execute(fresh.db)
    expect(await terminateBackend(fresh.db, rows[0].pid)).toMatchObject({
      ok: false,
      code: 'not-a-client',
      reason: `Process ${rows[0].pid} is a checkpointer process, not a client session.`,
    })
    expect(await cancelBackend(fresh.db, 2 ** 31 - 1)).toMatchObject({ ok: false, code: 'not-found' })
    expect(await cancelBackend(fresh.db, -3)).toMatchObject({ ok: false, code: 'not-found', reason: '-3 is not a process id.' })
  })
})
