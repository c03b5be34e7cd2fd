import { type ChildProcess, spawn } from 'node:child_process'
import { type Kysely, sql } from 'kysely'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createDb } from '../lib/db/connect'
import { targetIdentity } from '../lib/db/target-identity'
import { migrateDemoToSecondNewest } from '../lib/demo/prepare-demo'
import { listRuns } from '../lib/migrations/run-store'
import { type FreshDatabase, freshDatabase } from '../test/fresh-db'
import { ROOT, runDbadmin } from '../test/run-command'

// `dbadmin migrate up` stopped while its migration waits on the server (here behind a table lock):
// the server must not be left running the statement, holding and queueing for locks.
let target: FreshDatabase
let state: FreshDatabase
let stateDb: Kysely<any>
let blocker: pg.Client

const env = () => ({
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: process.env.HOME ?? '/root',
  DATABASE_URL: target.url,
  STATE_DATABASE_URL: state.url,
  // Long enough that only the fix can end the wait within the test.
  MIGRATION_LOCK_TIMEOUT_MS: '120000',
})

beforeAll(async () => {
  ;[target, state] = await Promise.all([freshDatabase('sig'), freshDatabase('sig_state')])
  await migrateDemoToSecondNewest(target.db)
  stateDb = createDb(state.url, { max: 1 })
})
afterEach(async () => {
  await blocker?.end().catch(() => {})
})
afterAll(async () => {
  await stateDb?.destroy()
  await target?.drop()
  await state?.drop()
})

/** Holds the table the pending DoR migration alters first. */
async function lockMeeting() {
  blocker = new pg.Client({ connectionString: target.url })
  await blocker.connect()
  await blocker.query('begin')
  await blocker.query('lock table meeting in access exclusive mode')
}

/** Migration sessions of the CLI waiting for a lock on the target. */
async function waitingSessions(): Promise<number[]> {
  const { rows } = await sql<{ pid: number }>`
    select pid from pg_stat_activity where datname = current_database() and application_name like 'dbadmin migrate: cli #%'
      and wait_event_type = 'Lock'`.execute(target.db)
  return rows.map((r) => r.pid)
}

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const v = await read()
    if (ok(v)) return v
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`timed out waiting for ${what}`)
}

function startUp(viaBin = false): { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> } {
  const args = viaBin ? ['bin/dbadmin.cjs', 'migrate', 'up'] : ['--import', 'tsx', 'cli/dbadmin.ts', 'migrate', 'up']
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: env() as unknown as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()))
  child.stdout!.resume()
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stderr })),
  )
  return { child, done }
}

describe('migrate up stopped by a signal', () => {
  it('cancels the statement on the server, records the run as failed and exits 128 + the signal', async () => {
    await lockMeeting()
    const { child, done } = startUp()
    const [pid] = await until(waitingSessions, (p) => p.length === 1, 'the migration to wait for the lock')
    const stopped = Date.now()
    child.kill('SIGTERM')
    const r = await done
    expect(r).toMatchObject({ code: 143, signal: null })
    expect(r.stderr).toContain('dbadmin: SIGTERM: cancelling the running statement on the server and stopping the run')
    expect(r.stderr).toContain('dbadmin: stopped by SIGTERM: canceling statement due to user request')
    // Nothing of the run is left waiting on the server.
    expect(await waitingSessions()).toEqual([])
    const { rows } = await sql`select 1 from pg_stat_activity where pid = ${pid} and state = 'active'`.execute(target.db)
    expect(rows).toEqual([])
    expect(Date.now() - stopped).toBeLessThan(10_000)

    const [run] = await listRuns(stateDb, { targetKey: (await targetIdentity(target.db)).key, lockHeld: false })
    expect(run).toMatchObject({ kind: 'apply', status: 'failed', startedBy: 'cli' })
    expect(run.steps[0].error).toMatch(
      /^canceling statement due to user request\nSQLSTATE 57014\nCancelled: the dbadmin process received SIGTERM\. Its transaction was rolled back on the server\.$/,
    )
  })

  it('through the package bin, a SIGINT to the wrapper stops the run the same way, exit 130', async () => {
    await lockMeeting()
    const { child, done } = startUp(true)
    await until(waitingSessions, (p) => p.length === 1, 'the migration to wait for the lock')
    child.kill('SIGINT')
    const r = await done
    // The wrapper passed the signal on once (a second would mean "quit at once") and reports it.
    expect(r).toMatchObject({ code: 130, signal: null })
    expect(r.stderr).toContain('dbadmin: SIGINT: cancelling the running statement on the server and stopping the run')
    expect(r.stderr.split('SIGINT: cancelling').length - 1).toBe(1)
    expect(await waitingSessions()).toEqual([])
  })

  it('killed outright, its session keeps running: the next start reports it with its pid and statement', async () => {
    await lockMeeting()
    const { child, done } = startUp()
    const [pid] = await until(waitingSessions, (p) => p.length === 1, 'the migration to wait for the lock')
    child.kill('SIGKILL')
    await done
    try {
      // The server does not notice a vanished client while the statement waits.
      expect(await waitingSessions()).toEqual([pid])
      const r = await runDbadmin(['migrate', 'status', '--json'], env())
      expect(r.code).toBe(0)
      expect(r.stderr).toMatch(
        new RegExp(
          `^Warning: pid ${pid}, left by a migration run of cli that died, is still active since .+ UTC holding \\d+ locks?: alter table "meeting" add column "location" varchar\\(200\\)\\. End it with select pg_cancel_backend\\(${pid}\\) \\(or pg_terminate_backend\\)\\.\n$`,
        ),
      )
    } finally {
      await sql`select pg_terminate_backend(${pid})`.execute(target.db)
    }
  })
})
