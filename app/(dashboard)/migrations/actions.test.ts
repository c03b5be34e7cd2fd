import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type ActionHarness, openActionHarness } from '../../../test/action-harness'
import type { GuardedSpec } from '@/lib/auth/guarded-run'
import { migrateDemoToSecondNewest } from '@/lib/demo/prepare-demo'
import { seedDemo } from '@/lib/demo/seed-demo'
import { dorMigrationSet } from '@/lib/migrations/registry'
import { createRun, finishStep, listRuns, startStep, updateRun } from '@/lib/migrations/run-store'
import { migrationStatus } from '@/lib/migrations/status'
import { targetIdentity } from '@/lib/db/target-identity'

// revalidatePath needs a Next request; here the actions run in plain Node.
vi.mock('next/cache', () => ({ revalidatePath: () => {} }))

// The scratch databases the checks of this file create (other test files make theirs on the same cluster).
const scratch = vi.hoisted(() => ({ created: [] as string[] }))
vi.mock('@/lib/migrations/scratch-database', async (importOriginal) => {
  const real = await importOriginal<typeof import('@/lib/migrations/scratch-database')>()
  return {
    ...real,
    async createScratchDatabase(...args: Parameters<typeof real.createScratchDatabase>) {
      const created = await real.createScratchDatabase(...args)
      scratch.created.push(created.name)
      return created
    },
  }
})

let h: ActionHarness
let state: ActionHarness['state']
let target: ActionHarness['target']
let dataDir: string
let specs: Record<'apply' | 'rollback' | 'acknowledge' | 'dryRun' | 'rehearse' | 'drift' | 'replay', GuardedSpec<any, any>>

const dor = await dorMigrationSet()
const newest = dor.defs.at(-1)!.name

beforeAll(async () => {
  h = await openActionHarness('migact', migrateDemoToSecondNewest)
  ;({ state, target, dataDir } = h)
  const { wrappedSpec } = await import('@/lib/auth/action')
  const mod = await import('./actions')
  specs = {
    apply: wrappedSpec(mod.applyMigrationsAction)!,
    rollback: wrappedSpec(mod.rollbackMigrationAction)!,
    acknowledge: wrappedSpec(mod.acknowledgeEditAction)!,
    dryRun: wrappedSpec(mod.dryRunAction)!,
    rehearse: wrappedSpec(mod.rehearseAction)!,
    drift: wrappedSpec(mod.driftAction)!,
    replay: wrappedSpec(mod.replayAction)!,
  }
})
afterAll(() => h?.close())

/** The managed database's key, which its run history is filed under. */
async function targetKey(): Promise<string> {
  return (await targetIdentity(target.db)).key
}

function asRole(role: 'admin' | 'operator' | 'viewer', spec: GuardedSpec<any, any>, rawInput: unknown) {
  return h.as(role, spec, rawInput)
}

function asAdmin(spec: GuardedSpec<any, any>, rawInput: unknown) {
  return asRole('admin', spec, rawInput)
}

function form(values: Record<string, string>): FormData {
  const f = new FormData()
  for (const [k, v] of Object.entries(values)) f.set(k, v)
  return f
}

describe('migration action inputs', () => {
  it('reads the backup checkbox from forms and objects', () => {
    const input = specs.apply.input
    expect(input.parse({ mode: 'next' }).backup).toBe(false)
    expect(input.parse({ mode: 'next', backup: 'on' }).backup).toBe(true)
    expect(input.parse({ mode: 'next', backup: 'true' }).backup).toBe(true)
    expect(input.parse({ mode: 'next', backup: 'false' }).backup).toBe(false)
    expect(input.parse({ mode: 'all', backup: true }).backup).toBe(true)
    expect(input.parse({ mode: 'next', to: '' }).to).toBeUndefined()
    expect(input.safeParse({ mode: 'next', backup: 'yes' }).success).toBe(false)
  })

  it('refuses "to" without a migration, and empty input, with a clear message', async () => {
    expect(await asAdmin(specs.apply, form({ mode: 'to', to: '' }))).toMatchObject({
      ok: false,
      code: 'invalid_input',
      message: 'to: choose the migration to apply up to',
    })
    for (const spec of [specs.apply, specs.rollback, specs.acknowledge, specs.dryRun]) {
      expect(await asAdmin(spec, {})).toMatchObject({ ok: false, code: 'invalid_input' })
    }
    expect(await asAdmin(specs.dryRun, { mode: 'to' })).toMatchObject({
      code: 'invalid_input',
      message: 'to: choose the migration to apply up to',
    })
    expect(await asAdmin(specs.acknowledge, { name: newest, note: 'x'.repeat(501) })).toMatchObject({
      code: 'invalid_input',
      message: 'note: must be at most 500 characters',
    })
  })
})

describe('migration actions on the DoR demo', () => {
  it('applies the next migration with a backup first, then rolls it back by its exact name', async () => {
    const applied = await asAdmin(specs.apply, form({ mode: 'next', backup: 'on' }))
    expect(applied).toMatchObject({ ok: true, message: `Applied ${newest}.` })
    const [run] = await listRuns(state.db, { targetKey: await targetKey(), lockHeld: false })
    expect(run).toMatchObject({ kind: 'apply', status: 'succeeded', startedBy: state.users.admin.email, source: 'dashboard' })
    expect(run.backupPath).toMatch(new RegExp(`^${dataDir}/backups/[^/]+-full-\\d{8}T\\d{6}Z-[0-9a-f]{6}\\.dump$`))
    expect(fs.statSync(run.backupPath!).size).toBeGreaterThan(0)
    expect(fs.statSync(run.backupPath!).mode & 0o777).toBe(0o600)
    // The pre-migration backup is in the catalogue, linked to its run.
    const catalogued = await state.db.selectFrom('backup').selectAll().where('migration_run_id', '=', run.id).executeTakeFirstOrThrow()
    expect(catalogued).toMatchObject({ origin: 'pre_migration', status: 'succeeded', kind: 'full', created_by: state.users.admin.email })
    expect(run.backupPath!.endsWith(catalogued.file)).toBe(true)
    // Taken by a job of the queue, which ended before the migration began.
    const job = await state.db.selectFrom('job').selectAll().where('id', '=', catalogued.job_id!).executeTakeFirstOrThrow()
    expect(job).toMatchObject({ kind: 'backup.full', state: 'succeeded', started_by: state.users.admin.email })
    expect(job.finished_at!.getTime()).toBeLessThanOrEqual(run.steps[0].startedAt.getTime())

    expect(await asAdmin(specs.apply, { mode: 'next' })).toMatchObject({
      ok: false,
      code: 'conflict',
      message: 'Nothing to apply: every migration is applied.',
    })
    expect(await asAdmin(specs.rollback, { name: 'not-the-last-one' })).toMatchObject({
      ok: false,
      code: 'invalid_input',
      message: `Type the name of the last applied migration (${newest}) to confirm.`,
    })
    expect(await asAdmin(specs.rollback, { name: newest })).toMatchObject({ ok: true, message: `Rolled back ${newest}.` })
    expect((await migrationStatus(target.db, state.db, dor)).pending).toEqual([newest])
  })

  it('a failing migration is reported in full: what failed, what stayed, and PostgreSQL\'s own message', async () => {
    // Something in the way of the pending migration's index (the migration file stays as it is).
    await sql`create index agenda_item_user_id_idx on meeting (id)`.execute(target.db)
    try {
      const result = await asAdmin(specs.apply, { mode: 'all' })
      expect(result).toMatchObject({ ok: false, code: 'migration_failed' })
      const [run] = await listRuns(state.db, { targetKey: await targetKey(), lockHeld: false })
      expect(result.message).toBe(
        `Run #${run.id}: ${newest} failed and was rolled back.\n\n${newest}:\n${run.steps[0].error}`,
      )
      expect(result.message).toContain('relation "agenda_item_user_id_idx" already exists')
      expect(result.message).toContain('SQLSTATE 42P07')
      expect(run).toMatchObject({ kind: 'apply', status: 'failed' })
      const { rows } = await sql`select 1 from information_schema.columns where table_name = 'meeting' and column_name = 'location'`.execute(target.db)
      expect(rows).toEqual([])
    } finally {
      await sql`drop index agenda_item_user_id_idx`.execute(target.db)
    }
  })

  it('a failing backup stops the run before any migration, and says why', async () => {
    // A pg_dump new enough to be chosen that fails: the backup fails, loudly.
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'failing-pg-'))
    for (const tool of ['pg_dump', 'pg_restore', 'psql']) {
      fs.writeFileSync(path.join(bin, tool), '#!/bin/sh\nif [ "$1" = "--version" ]; then echo "pg_dump (PostgreSQL) 99.0"; exit 0; fi\necho "pg_dump: error: simulated failure" >&2\nexit 1\n', { mode: 0o755 })
    }
    process.env.PG_BIN_DIR = bin
    // The backup runs as a job: the job system (one per process) must start again to read it.
    await (await import('@/lib/jobs/server-jobs')).stopServerJobs()
    vi.resetModules()
    try {
      // Fresh modules read the new PG_BIN_DIR; the wrapper must come from the same module graph.
      const { wrappedSpec } = await import('@/lib/auth/action')
      const guarded = await import('@/lib/auth/guarded-run')
      const apply = wrappedSpec((await import('./actions')).applyMigrationsAction)!
      const result = await guarded.runGuarded(apply, {
        stateDb: state.db,
        session: { userId: state.users.admin.id, sessionVersion: 1 },
        clientIp: null,
        rawInput: { mode: 'next', backup: true },
      })
      expect(result).toMatchObject({ ok: false, code: 'backup_failed' })
      expect(result.message).toContain('The backup before the run failed, so no migration was run.')
      expect(result.message).toContain('pg_dump exited with code 1')
      expect(result.message).toContain('simulated failure')
      const [run] = await listRuns(state.db, { targetKey: await targetKey(), lockHeld: false })
      expect(run).toMatchObject({ kind: 'apply', status: 'failed', steps: [] })
      expect((await migrationStatus(target.db, state.db, dor)).pending).toEqual([newest])
      const job = await state.db.selectFrom('job').selectAll().where('kind', '=', 'backup.full').orderBy('id', 'desc').executeTakeFirstOrThrow()
      expect(job).toMatchObject({ state: 'failed', started_by: state.users.admin.email })
      expect(result.message).toContain(`Backup job #${job.id} failed`)
    } finally {
      await (await import('@/lib/jobs/server-jobs')).stopServerJobs()
      delete process.env.PG_BIN_DIR
      fs.rmSync(bin, { recursive: true, force: true })
    }
  })

  it('acknowledges an edited migration, which lifts the block on apply', async () => {
    const set = dor
    const edited = set.defs[0].name
    // History says it was applied from a different source than the one in the code now.
    const runId = await createRun(state.db, {
      kind: 'apply',
      target: (await migrationStatus(target.db, state.db, set)).target,
      actor: { label: 'cli', source: 'cli' },
    })
    const stepId = await startStep(state.db, { runId, position: 0, name: edited, direction: 'up', checksum: 'f'.repeat(64) })
    await finishStep(state.db, stepId, { ok: true })
    await updateRun(state.db, runId, { status: 'succeeded' })
    expect((await migrationStatus(target.db, state.db, set)).blockingEdits).toEqual([edited])

    expect(await asAdmin(specs.acknowledge, { name: set.defs[1].name })).toMatchObject({ ok: false, code: 'conflict' })
    expect(await asAdmin(specs.acknowledge, { name: 'nope' })).toMatchObject({ ok: false, code: 'not_found' })
    expect(await asAdmin(specs.acknowledge, form({ name: edited, note: 'comment only' }))).toMatchObject({
      ok: true,
      message: expect.stringContaining('It no longer blocks apply.'),
    })
    const after = await migrationStatus(target.db, state.db, set)
    expect(after.blockingEdits).toEqual([])
    const ack = await state.db.selectFrom('migration_ack').selectAll().executeTakeFirstOrThrow()
    expect(ack).toMatchObject({ name: edited, checksum: set.defs[0].checksum, acknowledged_by: state.users.admin.email, note: 'comment only' })
  })
})

describe('checks on the DoR demo', () => {
  // The demo's data and its drift: a table and an index created outside the migrations.
  beforeAll(async () => {
    await seedDemo(target.db)
  })

  /** The scratch databases this file's checks created that still exist: none once a check returns. */
  async function scratchDatabases(): Promise<string[]> {
    expect(scratch.created.length).toBeGreaterThan(0)
    const { rows } = await sql<{ datname: string }>`select datname from pg_database where datname = any(${scratch.created})`.execute(target.db)
    return rows.map((r) => r.datname)
  }

  async function locationColumn() {
    const { rows } = await sql`select 1 from information_schema.columns where table_name = 'meeting' and column_name = 'location'`.execute(target.db)
    return rows.length > 0
  }

  it('dry run as an operator: the pending migration\'s SQL, and nothing changed', async () => {
    const result = await asRole('operator', specs.dryRun, { mode: 'all' })
    expect(result).toMatchObject({ ok: true, message: `Dry run of ${newest} succeeded; everything was rolled back.` })
    const data = (result as { data: any }).data
    expect(data.migrations).toEqual([
      {
        name: newest,
        statements: [
          { sql: 'alter table "meeting" add column "location" varchar(200)', parameters: [] },
          { sql: 'create index "agenda_item_user_id_idx" on "agenda_item" ("user_id")', parameters: [] },
        ],
      },
    ])
    expect(await locationColumn()).toBe(false)
    expect((await migrationStatus(target.db, state.db, dor)).pending).toEqual([newest])
    const [run] = await listRuns(state.db, { targetKey: await targetKey(), lockHeld: false })
    expect(run).toMatchObject({ id: data.runId, kind: 'dry_run', status: 'succeeded', startedBy: state.users.operator.email })
    expect(run.report).toMatchObject({ migrations: [{ name: newest }] })
  })

  it('rehearses the pending migration\'s rollback on a scratch copy', async () => {
    const result = await asRole('operator', specs.rehearse, {})
    expect(result).toMatchObject({ ok: true })
    const data = (result as { data: any }).data
    expect(data.ok).toBe(true)
    expect(data.steps).toEqual([expect.objectContaining({ name: newest, ok: true, downRestores: true, upRepeats: true, downDiff: [] })])
    expect(await scratchDatabases()).toEqual([])
    expect(await locationColumn()).toBe(false)
  })

  it('finds the drift the demo was built with', async () => {
    const result = await asRole('operator', specs.drift, {})
    expect(result).toMatchObject({ ok: true, message: '2 differences between the applied migrations and the live schema.' })
    const data = (result as { data: any }).data
    expect(data.comparable).toBe(true)
    expect(data.changes.map((c: any) => `${c.change} ${c.object} ${c.name}`)).toEqual([
      'added table meeting_attendee',
      'added index meeting_title_idx',
    ])
    expect(await scratchDatabases()).toEqual([])
  })

  it('replays the whole chain from empty', async () => {
    const result = await asAdmin(specs.replay, {})
    expect(result).toMatchObject({ ok: true, data: { ok: true, failed: null, applied: dor.defs.map((d) => d.name) } })
    expect(await scratchDatabases()).toEqual([])
    const kinds = (await listRuns(state.db, { targetKey: await targetKey(), lockHeld: false, limit: 4 })).map((r) => r.kind)
    expect(kinds).toEqual(['replay', 'drift', 'rehearsal', 'dry_run'])
  })

  it('refuses a viewer every check', async () => {
    for (const [spec, input] of [
      [specs.dryRun, { mode: 'all' }],
      [specs.rehearse, {}],
      [specs.drift, {}],
      [specs.replay, {}],
    ] as const) {
      expect(await asRole('viewer', spec, input)).toMatchObject({ ok: false, code: 'forbidden' })
    }
  })

  it('a dry run that fails on a row value shows an operator the error without it, and an admin all of it', async () => {
    // A migration meeting a row it cannot take, as after a column changed type: here an event trigger reads the value as an integer.
    const SECRET = 'SECRET-TOKEN-ABC123'
    await sql`create table dry_run_secret (token text)`.execute(target.db)
    await sql`insert into dry_run_secret values (${SECRET})`.execute(target.db)
    await sql`create function dry_run_secret_check() returns event_trigger language plpgsql as $$ begin perform token::int from dry_run_secret; end $$`.execute(target.db)
    await sql`create event trigger dry_run_secret_check on ddl_command_end execute function dry_run_secret_check()`.execute(target.db)
    try {
      const operator = JSON.stringify(await asRole('operator', specs.dryRun, { mode: 'all' }))
      expect(operator).toContain('invalid input syntax for type integer: \\"…\\"')
      expect(operator).not.toContain(SECRET)
      const admin = JSON.stringify(await asAdmin(specs.dryRun, { mode: 'all' }))
      expect(admin).toContain(`invalid input syntax for type integer: \\"${SECRET}\\"`)
    } finally {
      await sql`drop event trigger dry_run_secret_check`.execute(target.db)
      await sql`drop function dry_run_secret_check()`.execute(target.db)
      await sql`drop table dry_run_secret`.execute(target.db)
    }
  })

  it('says so when the scratch database cannot be created (no CREATEDB)', async () => {
    const role = `nocreatedb_${Date.now().toString(36)}`
    await sql`create role ${sql.id(role)} login password 'x-nocreatedb-1'`.execute(target.db)
    const url = new URL(target.url)
    url.username = role
    url.password = 'x-nocreatedb-1'
    // Fresh modules read the new URL (the pool of targetDb() stays the one opened above, on globalThis).
    process.env.DBADMIN_TARGET_URL = url.toString()
    // The checks run as jobs of the server's job system (on globalThis): the next one starts with the new URL.
    await (await import('@/lib/jobs/server-jobs')).stopServerJobs()
    vi.resetModules()
    try {
      const { wrappedSpec } = await import('@/lib/auth/action')
      const guarded = await import('@/lib/auth/guarded-run')
      const replay = wrappedSpec((await import('./actions')).replayAction)!
      const result = await guarded.runGuarded(replay, {
        stateDb: state.db,
        session: { userId: state.users.operator.id, sessionVersion: 1 },
        clientIp: null,
        rawInput: {},
      })
      expect(result).toMatchObject({ ok: false, code: 'unavailable' })
      expect(result.message).toContain('The role needs CREATEDB')
      expect(result.message).not.toContain('x-nocreatedb-1')
    } finally {
      process.env.DBADMIN_TARGET_URL = target.url
      await (await import('@/lib/jobs/server-jobs')).stopServerJobs()
      await sql`drop role ${sql.id(role)}`.execute(target.db)
    }
  })
})
