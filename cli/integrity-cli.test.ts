import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildDemoDatabase } from '../lib/demo/prepare-demo'
import type { FixMode } from '../lib/integrity/fix-file'
import { fixOrphans } from '../lib/integrity/fix-orphans'
import { countOrphans } from '../lib/integrity/orphans'
import type { RelationRef } from '../lib/integrity/types'
import type { JobProgress } from '../lib/jobs/job-kind'
import type { JobSystem } from '../lib/jobs/job-system'
import { getJob, type JobRow } from '../lib/jobs/job-store'
import { migrateStateDb } from '../lib/state/migrate-state'
import { type FreshDatabase, freshDatabase } from '../test/fresh-db'
import { lines, ROOT, runDbadmin } from '../test/run-command'
import { startTestJobs } from '../test/test-jobs'

let target: FreshDatabase
let state: FreshDatabase
// A server's worker for fixes (the page starts them); integrity runs the CLI queues run in the CLI.
let jobs: JobSystem
let onProgress: ((job: JobRow, p: JobProgress) => Promise<void>) | null = null
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-fix-'))
const uploads = { schema: 'public', table: 'fileupload', columns: ['agenda_item_id'], refSchema: 'public', refTable: 'agenda_item', refColumns: ['id'] }

beforeAll(async () => {
  target = await freshDatabase('cli_int_target')
  state = await freshDatabase('cli_int_state')
  await buildDemoDatabase(target.db)
  await migrateStateDb(state.db)
  jobs = await startTestJobs(target, state, { workKinds: ['integrity.fix'], onProgress: async (job, p) => onProgress?.(job, p) })
})
afterAll(async () => {
  await jobs?.stop(5_000)
  await target?.drop()
  await state?.drop()
  fs.rmSync(dir, { recursive: true, force: true })
})

const env = () => ({ DATABASE_URL: target.url, STATE_DATABASE_URL: state.url })

/** A fix as the page queues it; resolves with its fix id and a promise of how its job ended. */
async function startFix(input: { relation: RelationRef; mode: FixMode; file: string; total: number; batchSize?: number }) {
  const job = await jobs.enqueue('integrity.fix', input, { startedBy: 'admin@test.local', trigger: 'manual' })
  const ended = (async () => {
    for (;;) {
      const j = await getJob(state.db, job.id)
      if (j && !['queued', 'running'].includes(j.state)) return j.state
      await new Promise((r) => setTimeout(r, 50))
    }
  })()
  return { fixId: job.refId!, ended }
}

describe('dbadmin integrity', () => {
  it('--json prints one entry per relation, then the other checks; --fail-on-findings exits 1', async () => {
    const r = await runDbadmin(['integrity', '--json'], env())
    expect(r.code).toBe(0)
    expect(lines(r.stdout)).toHaveLength(1)
    const { findings } = JSON.parse(r.stdout)
    const soft = findings.filter((f: { source: string }) => f.source === 'soft')
    expect(soft.map((f: { table: string; columns: string[]; count: number }) => [f.table, f.columns, f.count])).toEqual([
      ['agenda_item', ['meeting_id'], 25],
      ['fileupload', ['agenda_item_id'], 15],
    ])
    const firstOther = findings.findIndex((f: { check: string }) => f.check !== 'orphans' && f.check !== 'not_valid_foreign_key')
    expect(findings.slice(firstOther).every((f: { check: string }) => f.check !== 'orphans')).toBe(true)
    const role = findings.find((f: { check: string; table: string }) => f.check === 'enum_values' && f.table === 'user')
    expect(role).toMatchObject({ columns: ['role'], count: 19, values: ['student', 'faculty'] })

    const failing = await runDbadmin(['integrity', '--json', '--fail-on-findings'], env())
    expect(failing.code).toBe(1)
    expect(failing.stderr).toMatch(/^dbadmin: \d+ checks found problems$/m)
  }, 120_000)

  it('restore --file puts back the rows a fix saved and records it in the audit log', async () => {
    const file = path.join(dir, 'uploads.jsonl')
    await fixOrphans(target.db, uploads, { mode: 'set_null', file })
    expect(await countOrphans(target.db, uploads)).toBe(0)
    const r = await runDbadmin(['integrity', 'restore', '--file', file], env())
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout.trim()).toBe(
      `Restored 15 rows of public.fileupload(agenda_item_id) → public.agenda_item(id) (references put back) from ${file}`,
    )
    expect(await countOrphans(target.db, uploads)).toBe(15)
    const audit = await state.db.selectFrom('audit_log').selectAll().where('action', '=', 'integrity.restore_fix').executeTakeFirstOrThrow()
    expect(audit).toMatchObject({ actor_email: 'cli', result: 'ok', target: 'public.fileupload(agenda_item_id) → public.agenda_item(id)' })

    const missing = await runDbadmin(['integrity', 'restore', '--file', path.join(dir, 'nope.jsonl')], env())
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/^dbadmin: cannot restore .*nope\.jsonl: There is no file .*nope\.jsonl\.$/m)
    // What a fix killed while saving leaves: rows but no manifest.
    const partial = path.join(dir, 'partial.jsonl')
    fs.writeFileSync(partial, '{"row": {"id": 1}, "record": "(1)"}\n')
    const incomplete = await runDbadmin(['integrity', 'restore', '--file', partial], env())
    expect(incomplete.code).toBe(1)
    expect(incomplete.stderr).toContain(`${partial} is incomplete: it has no manifest (partial.jsonl.meta.json), so the fix that wrote it stopped while saving rows, before it changed any.`)
    expect(incomplete.stderr).not.toContain('ENOENT')
  }, 120_000)

  // Four CLI processes and a fix: minutes on a busy machine.
  it('fixes lists the fix jobs, and restore --fix N puts one back as the page does', async () => {
    const file = path.join(dir, 'agenda.jsonl')
    const agenda = { ...uploads, table: 'agenda_item', columns: ['meeting_id'], refTable: 'meeting' }
    const { fixId, ended } = await startFix({ relation: agenda, mode: 'delete', file, total: 25 })
    expect(await ended).toBe('succeeded')
    expect(await countOrphans(target.db, agenda)).toBe(0)

    const listed = await runDbadmin(['integrity', 'fixes', '--json'], env())
    expect(listed.code).toBe(0)
    expect(JSON.parse(listed.stdout).fixes).toMatchObject([{ id: fixId, kind: 'fix', status: 'succeeded', mode: 'delete', changed: 25, file }])
    const text = await runDbadmin(['integrity', 'fixes'], env())
    expect(lines(text.stdout)[0]).toMatch(new RegExp(`^#${fixId}  succeeded   delete +public\\.agenda_item\\(meeting_id\\) → public\\.meeting\\(id\\)  25/25 rows  admin@test\\.local `))

    const bad = await runDbadmin(['integrity', 'restore', '--fix', 'x1'], env())
    expect(bad.code).not.toBe(0)
    expect(bad.stderr).toContain('--fix must be a fix number, not "x1"')
    const r = await runDbadmin(['integrity', 'restore', '--fix', String(fixId)], env())
    expect(r.stderr).toBe('')
    expect(r.stdout.trim()).toMatch(new RegExp(`^Restore #\\d+ of fix #${fixId}: 25 rows of public\\.agenda_item\\(meeting_id\\) → public\\.meeting\\(id\\) put back from ${file.replace(/[.\\]/g, '\\$&')}$`))
    expect(await countOrphans(target.db, agenda)).toBe(25)
    const again = await runDbadmin(['integrity', 'restore', '--fix', String(fixId)], env())
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(new RegExp(`^dbadmin: cannot restore fix #${fixId}: Fix #${fixId} was already restored by #\\d+\\.`))
  }, 180_000)
})

describe('dbadmin integrity when checks cannot run', () => {
  it('exits 2 and says on stderr how many checks failed and why, unless --allow-check-errors', async () => {
    // A role that may read the catalog but no table: every count fails with permission denied.
    const role = `noread_${Date.now().toString(36)}`
    await sql`create role ${sql.id(role)} login password 'noread-pw-1'`.execute(target.db)
    const url = new URL(target.url)
    url.username = role
    url.password = 'noread-pw-1'
    try {
      const r = await runDbadmin(['integrity', '--json'], { DATABASE_URL: url.toString(), STATE_DATABASE_URL: state.url })
      expect(r.code).toBe(2)
      // The results are still printed, whole.
      const { findings } = JSON.parse(r.stdout)
      const errored = findings.filter((f: { error?: string }) => f.error)
      expect(errored.length).toBeGreaterThan(1)
      const err = lines(r.stderr)
      expect(err[0]).toBe(`dbadmin: ${errored.length} of ${findings.length} checks could not run:`)
      expect(err).toContain('  Orphans in public.agenda_item(meeting_id) → public.meeting(id): permission denied for table agenda_item')
      expect(err.at(-1)).toBe('The results are incomplete; --allow-check-errors accepts that.')

      const allowed = await runDbadmin(['integrity', '--json', '--allow-check-errors'], { DATABASE_URL: url.toString(), STATE_DATABASE_URL: state.url })
      expect(allowed.code).toBe(0)
      expect(JSON.parse(allowed.stdout).findings).toHaveLength(findings.length)
      expect(lines(allowed.stderr)[0]).toBe(`dbadmin: ${errored.length} of ${findings.length} checks could not run:`)
      expect(allowed.stderr).not.toContain('--allow-check-errors accepts that')
    } finally {
      await sql`drop role ${sql.id(role)}`.execute(target.db)
    }
  }, 120_000)
})

describe('dbadmin integrity cancel', () => {
  it('stops a running fix after its current batch, audited as the CLI; refuses what is not running', async () => {
    const file = path.join(dir, 'cancelled.jsonl')
    // The job pauses after its first batch of 5 until the CLI has asked it to stop.
    let paused!: () => void
    const atFirstBatch = new Promise<void>((r) => (paused = r))
    let resume!: () => void
    const resumed = new Promise<void>((r) => (resume = r))
    const before = await countOrphans(target.db, uploads)
    expect(before).toBe(15)
    onProgress = async (_job, p) => {
      if (p.label === 'changing rows' && (p.done ?? 0) > 0) {
        paused()
        await resumed
      }
    }
    const { fixId, ended: done } = await startFix({ relation: uploads, mode: 'set_null', file, total: before, batchSize: 5 })
    await atFirstBatch
    onProgress = null
    const r = await runDbadmin(['integrity', 'cancel', '--fix', String(fixId)], env())
    resume()
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(`Job #${fixId} stops after its current batch; the batches done so far stay done.\n`)
    expect(await done).toBe('cancelled')
    expect(await countOrphans(target.db, uploads)).toBe(before - 5)
    const audit = await state.db.selectFrom('audit_log').selectAll().where('action', '=', 'integrity.fix.cancel').orderBy('id').execute()
    expect(audit).toMatchObject([{ actor_email: 'cli', target: `fix job #${fixId}`, input: { fix: fixId }, result: 'ok', code: 'ok' }])

    const again = await runDbadmin(['integrity', 'cancel', '--fix', String(fixId), '--json'], env())
    expect(again.code).toBe(1)
    expect(again.stdout).toBe('')
    expect(again.stderr).toBe(`dbadmin: cannot cancel: Job #${fixId} is not running (cancelled).\n`)
    const none = await runDbadmin(['integrity', 'cancel', '--fix', '999999'], env())
    expect(none.code).toBe(1)
    expect(none.stderr).toBe('dbadmin: cannot cancel: There is no fix or restore #999999.\n')
    const refusals = await state.db.selectFrom('audit_log').selectAll().where('action', '=', 'integrity.fix.cancel').orderBy('id').offset(1).execute()
    expect(refusals).toMatchObject([
      { actor_email: 'cli', target: `fix job #${fixId}`, result: 'failed', code: 'conflict' },
      { actor_email: 'cli', target: 'fix job #999999', result: 'failed', code: 'not_found' },
    ])

    // Put the 5 rows back for the tests after this one.
    const restored = await runDbadmin(['integrity', 'restore', '--fix', String(fixId)], env())
    expect(restored.code).toBe(0)
    expect(await countOrphans(target.db, uploads)).toBe(before)
  }, 120_000)
})

describe('dbadmin jobs', () => {
  it('lists the integrity runs the CLI queued (and waited for) with every other job; --inline runs without the queue', async () => {
    const before = JSON.parse((await runDbadmin(['jobs', 'list', '--json'], env())).stdout).jobs.length
    const inline = await runDbadmin(['integrity', '--json', '--inline'], env())
    expect(inline.code).toBe(0)
    expect(JSON.parse((await runDbadmin(['jobs', 'list', '--json'], env())).stdout).jobs).toHaveLength(before)

    const queued = await runDbadmin(['integrity', '--no-wait', '--json'], env())
    expect(queued.code).toBe(0)
    const { job, runId } = JSON.parse(queued.stdout)
    expect(job).toEqual({ id: expect.any(Number), state: 'queued' })
    // Nothing here runs integrity runs: it waits in the queue, and is cancelled there.
    const list = await runDbadmin(['jobs', 'list', '--json', '--kind', 'integrity.run', '--state', 'queued'], env())
    expect(JSON.parse(list.stdout).jobs).toEqual([
      expect.objectContaining({ id: job.id, kind: 'integrity.run', state: 'queued', startedBy: 'cli', trigger: 'cli', ref: runId, links: [{ label: `run #${runId}`, href: `/integrity?run=${runId}` }] }),
    ])
    const cancelled = await runDbadmin(['jobs', 'cancel', String(job.id)], env())
    expect(cancelled.stderr).toBe('')
    expect(cancelled.stdout).toBe(`Job #${job.id} was cancelled before it started.\n`)
    const again = await runDbadmin(['jobs', 'cancel', String(job.id), '--json'], env())
    expect(again).toMatchObject({ code: 1, stdout: '', stderr: `dbadmin: cannot cancel: Job #${job.id} is not running (cancelled).\n` })
    expect((await runDbadmin(['jobs', 'cancel'], env())).stderr).toBe('dbadmin: "dbadmin jobs cancel" needs ID (dbadmin jobs cancel --help)\n')
    expect((await runDbadmin(['jobs', 'cancel', 'x'], env())).stderr).toBe('dbadmin: ID must be a job number, not "x"\n')
    expect((await runDbadmin(['jobs', 'list', '--state', 'done'], env())).stderr).toBe(
      'dbadmin: --state must be one of queued, running, succeeded, failed, cancelled, interrupted\n',
    )

    // Queued and waited for (the default): the CLI works the queue itself while it waits.
    const waited = await runDbadmin(['integrity'], env())
    expect(waited.code).toBe(0)
    expect(waited.stderr).toMatch(/\[\d+\/\d+\]/)
    const text = await runDbadmin(['jobs', 'list'], env())
    expect(lines(text.stdout)[0]).toMatch(/^#\d+  succeeded   integrity\.run +\S+  by cli .+ Integrity run #\d+: \d+ of \d+ checks, \d+ with findings\.$/)
    const audit = await state.db.selectFrom('audit_log').selectAll().where('action', '=', 'jobs.cancel').execute()
    expect(audit.map((a) => [a.actor_email, a.result])).toEqual([
      ['cli', 'ok'],
      ['cli', 'failed'],
    ])
  }, 240_000)
})

describe('dbadmin integrity after a run whose process was killed', () => {
  /** Sessions of that application on the database, only those waiting for a lock if asked. */
  const sessions = async (on: FreshDatabase, applicationName: string, lockWait = false) => {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where datname = current_database()
      and application_name = ${applicationName} and (not ${lockWait} or wait_event_type = 'Lock')`.execute(on.db)
    return rows[0].n
  }
  const until = async (ok: () => Promise<boolean>, what: string) => {
    for (let i = 0; !(await ok()); i++) {
      if (i > 1200) throw new Error(`timed out waiting for ${what}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  it('waits for that run, which pg-boss runs again, and prints its findings instead of refusing it as running', async () => {
    // A lock on meeting holds the run at its first check that reads the table.
    const locker = new pg.Client({ connectionString: target.url })
    await locker.connect()
    await locker.query('begin')
    await locker.query('lock table public.meeting in access exclusive mode')
    let server: JobSystem | undefined
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', 'cli/dbadmin.ts', 'integrity', '--json'], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...env() } as unknown as NodeJS.ProcessEnv,
        stdio: 'ignore',
      })
      const exited = new Promise((r) => child.on('close', r))
      await until(async () => (await sessions(target, 'dbadmin integrity', true)) > 0, 'the run to wait for the lock')
      child.kill('SIGKILL')
      await exited
      const [killed] = JSON.parse((await runDbadmin(['jobs', 'list', '--json', '--kind', 'integrity.run', '--limit', '1'], env())).stdout).jobs
      expect(killed.state).toBe('interrupted')

      // A server's worker takes the run again (its second attempt) and waits at the same lock.
      server = await startTestJobs(target, state, { workKinds: ['integrity.run'] })
      await until(async () => (await getJob(state.db, killed.id))?.attempts === 2, 'the second attempt')
      const next = runDbadmin(['integrity', '--json'], env())
      // Once the CLI's job system is up it has asked for a run: then the lock goes.
      await until(async () => (await sessions(state, 'dbadmin cli (jobs)')) > 0, 'the CLI to start its jobs')
      await new Promise((r) => setTimeout(r, 2_000))
      await locker.query('commit')
      const r = await next
      expect(r.stderr).toBe(`dbadmin: integrity run #${killed.ref} (job #${killed.id}) was interrupted and runs again; waiting for it\n`)
      expect(r.code).toBe(0)
      expect(JSON.parse(r.stdout).findings.length).toBeGreaterThan(1)
      expect(await getJob(state.db, killed.id)).toMatchObject({ state: 'succeeded', attempts: 2 })
    } finally {
      await locker.query('rollback').catch(() => {})
      await locker.end()
      await server?.stop(10_000)
    }
  }, 240_000)
})
