import { type ChildProcess, spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { buildDemoDatabase } from '../lib/demo/prepare-demo'
import { getIntegrityRun } from '../lib/integrity/run-store'
import { JOB_SCHEMA } from '../lib/jobs/boss-db'
import type { JobSystem } from '../lib/jobs/job-system'
import { getJob, type JobRow } from '../lib/jobs/job-store'
import { migrateStateDb } from '../lib/state/migrate-state'
import { type FreshDatabase, freshDatabase } from '../test/fresh-db'
import { ROOT, runDbadmin } from '../test/run-command'
import { startTestJobs } from '../test/test-jobs'

// A foreground command stopped by Ctrl-C or SIGTERM while the job it started waits on the server
// (here behind a table lock): the job is cancelled, its statement is gone from the server, and
// pg-boss does not run it again.
let target: FreshDatabase
let state: FreshDatabase
let blocker: pg.Client | undefined
let worker: JobSystem | undefined
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-signals-'))

const env = () => ({
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: process.env.HOME ?? '/root',
  DATABASE_URL: target.url,
  STATE_DATABASE_URL: state.url,
  DATA_DIR: dataDir,
})

beforeAll(async () => {
  ;[target, state] = await Promise.all([freshDatabase('cli_sig_target'), freshDatabase('cli_sig_state')])
  await buildDemoDatabase(target.db)
  await migrateStateDb(state.db)
})
afterEach(async () => {
  await worker?.stop(5_000)
  worker = undefined
  await blocker?.end().catch(() => {})
  blocker = undefined
})
afterAll(async () => {
  await target?.drop()
  await state?.drop()
  fs.rmSync(dataDir, { recursive: true, force: true })
})

async function lock(table: string) {
  blocker = new pg.Client({ connectionString: target.url })
  await blocker.connect()
  await blocker.query('begin')
  await blocker.query(`lock table ${table} in access exclusive mode`)
}

/** Sessions on the target waiting for a lock, other than the blocker's. */
async function waiting(applicationName: string): Promise<number[]> {
  const { rows } = await sql<{ pid: number }>`
    select pid from pg_stat_activity where datname = current_database() and application_name = ${applicationName}
      and wait_event_type = 'Lock'`.execute(target.db)
  return rows.map((r) => r.pid)
}

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string, ms = 30_000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    const v = await read()
    if (ok(v)) return v
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`timed out waiting for ${what}`)
}

function start(args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/dbadmin.ts', ...args], { cwd: ROOT, env: env() as unknown as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()))
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()))
  return { child, done: new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))) }
}

async function newestJob(kind: string): Promise<JobRow> {
  const row = await state.db.selectFrom('job').select('id').where('kind', '=', kind).orderBy('id', 'desc').executeTakeFirstOrThrow()
  return (await getJob(state.db, row.id))!
}

/** Whether pg-boss would still run the job: queued, active or waiting for a retry. */
async function bossWouldRun(job: JobRow): Promise<boolean> {
  const { rows } = await sql<{ state: string }>`select state from ${sql.table(`${JOB_SCHEMA}.job`)} where id = ${job.bossId}`.execute(state.db)
  return rows.some((r) => ['created', 'retry', 'active'].includes(r.state))
}

/** VACUUMs waiting for a lock on the target. */
async function vacuums(): Promise<number[]> {
  const { rows } = await sql<{ pid: number }>`
    select pid from pg_stat_activity where datname = current_database() and query ~* 'vacuum' and wait_event_type = 'Lock'`.execute(target.db)
  return rows.map((r) => r.pid)
}

describe('a foreground job stopped by a signal', () => {
  it('dbadmin integrity + SIGINT: the run is cancelled, its check leaves the server, exit 130, and it is not run again', async () => {
    await lock('meeting')
    const { child, done } = start(['integrity'])
    const [pid] = await until(() => waiting('dbadmin integrity'), (p) => p.length > 0, 'a check to wait for the lock')
    const job = await newestJob('integrity.run')
    child.kill('SIGINT')
    const r = await done
    expect(r).toMatchObject({ code: 130, signal: null, stdout: '' })
    expect(r.stderr.endsWith(`dbadmin: cancelled integrity run #${job.refId}\n`)).toBe(true)
    expect(r.stderr.match(/cancel/gi)).toHaveLength(1)
    // The check waiting behind the lock was cancelled on the server, not left there for 300 s.
    const { rows } = await sql`select 1 from pg_stat_activity where pid = ${pid}::int and state = 'active'`.execute(target.db)
    expect(rows).toEqual([])
    expect(await waiting('dbadmin integrity')).toEqual([])
    expect((await getJob(state.db, job.id))!.state).toBe('cancelled')
    expect((await getIntegrityRun(state.db, job.refId!))!.status).toBe('cancelled')
    // A worker, as a web server would run, does not take it up again, even with the lock gone.
    await blocker!.end()
    blocker = undefined
    worker = await startTestJobs(target, state, { workKinds: ['integrity.run'] })
    await new Promise((r) => setTimeout(r, 3_000))
    expect(await bossWouldRun(job)).toBe(false)
    expect((await getJob(state.db, job.id))!.state).toBe('cancelled')
    expect((await newestJob('integrity.run')).id).toBe(job.id)
    // The cancel is in the audit log as the CLI's.
    const audit = await state.db.selectFrom('audit_log').select(['action', 'target', 'result']).where('action', '=', 'jobs.cancel').execute()
    expect(audit).toEqual([{ action: 'jobs.cancel', target: `job #${job.id}`, result: 'ok' }])
  }, 90_000)

  it('dbadmin backup create + SIGTERM while pg_dump waits for a lock: cancelled, nothing left on the server, exit 143', async () => {
    await lock('meeting')
    const { child, done } = start(['backup', 'create'])
    await until(() => waiting('pg_dump'), (p) => p.length > 0, 'pg_dump to wait for the lock')
    const job = await newestJob('backup.full')
    child.kill('SIGTERM')
    const r = await done
    expect(r).toMatchObject({ code: 143, signal: null, stdout: '' })
    expect(r.stderr.endsWith(`dbadmin: cancelled full backup job #${job.id}\n`)).toBe(true)
    await until(() => waiting('pg_dump'), (p) => p.length === 0, 'pg_dump’s session to end', 5_000)
    expect((await getJob(state.db, job.id))!.state).toBe('cancelled')
    expect(await bossWouldRun(job)).toBe(false)
  }, 90_000)

  it('dbadmin maintenance vacuum + SIGINT while VACUUM waits for a lock: cancelled on the server, exit 130', async () => {
    await lock('meeting')
    const { child, done } = start(['maintenance', 'vacuum', '--table', 'meeting'])
    await until(vacuums, (p) => p.length > 0, 'VACUUM to wait for the lock')
    const job = await newestJob('maintenance.run')
    child.kill('SIGINT')
    const r = await done
    expect(r).toMatchObject({ code: 130, signal: null, stdout: '' })
    expect(r.stderr).toMatch(new RegExp(`dbadmin: cancelled maintenance job #${job.refId} \\(VACUUM [^\n]*meeting[^\n]*\\)\n$`))
    expect(await vacuums()).toEqual([])
    expect((await getJob(state.db, job.id))!.state).toBe('cancelled')
    expect(await bossWouldRun(job)).toBe(false)
  }, 90_000)

  it('maintenance vacuum killed outright: the next command finds its VACUUM still waiting, cancels it and says so', async () => {
    await lock('meeting')
    const { child, done } = start(['maintenance', 'vacuum', '--table', 'meeting'])
    const [pid] = await until(vacuums, (p) => p.length > 0, 'VACUUM to wait for the lock')
    const job = await newestJob('maintenance.run')
    child.kill('SIGKILL')
    await done
    // The server does not notice a vanished client while the statement waits.
    await new Promise((r) => setTimeout(r, 1_000))
    expect(await vacuums()).toEqual([pid])
    const r = await runDbadmin(['jobs', 'list', '--json'], env())
    expect(r.code).toBe(0)
    expect(r.stderr).toBe(
      `dbadmin: job #${job.id} (maintenance.run) was left running by a process that died: Its worker stopped before it finished. Its statement was still running on the server (pid ${pid}) and was cancelled.\n`,
    )
    await until(vacuums, (p) => p.length === 0, 'the VACUUM to be cancelled', 5_000)
    expect((await getJob(state.db, job.id))!.state).toBe('interrupted')
    // Said once: the next command finds nothing left.
    expect((await runDbadmin(['jobs', 'list', '--json'], env())).stderr).toBe('')
  }, 90_000)
})
