import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../../test/fresh-db'
import { freshStateDb } from '../../../test/state-db'
import type { GuardedSpec } from '@/lib/auth/guarded-run'
import { runGuarded } from '@/lib/auth/guarded-run'
import { migrateDemoToSecondNewest } from '@/lib/demo/prepare-demo'
import { dorMigrationSet } from '@/lib/migrations/registry'
import { createRun, finishStep, listRuns, startStep, updateRun } from '@/lib/migrations/run-store'
import { migrationStatus } from '@/lib/migrations/status'

// revalidatePath needs a Next request; here the actions run in plain Node.
vi.mock('next/cache', () => ({ revalidatePath: () => {} }))

let state: Awaited<ReturnType<typeof freshStateDb>>
let target: FreshDatabase
let dataDir: string
let specs: Record<'apply' | 'rollback' | 'acknowledge', GuardedSpec<any, any>>

const newest = dorMigrationSet().defs.at(-1)!.name

beforeAll(async () => {
  state = await freshStateDb()
  target = await freshDatabase('migact')
  await migrateDemoToSecondNewest(target.db)
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'migact-'))
  process.env.DBADMIN_TARGET_URL = target.url
  process.env.DBADMIN_STATE_URL = state.url
  process.env.AUTH_SECRET = 'test-secret-test-secret-test-secret-1234'
  process.env.DATA_DIR = dataDir
  const { wrappedSpec } = await import('@/lib/auth/action')
  const mod = await import('./actions')
  specs = {
    apply: wrappedSpec(mod.applyMigrationsAction)!,
    rollback: wrappedSpec(mod.rollbackMigrationAction)!,
    acknowledge: wrappedSpec(mod.acknowledgeEditAction)!,
  }
})
afterAll(async () => {
  const { targetDb } = await import('@/lib/db/server-dbs')
  await targetDb().destroy()
  await target?.drop()
  await state?.drop()
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true })
})

function asAdmin(spec: GuardedSpec<any, any>, rawInput: unknown) {
  return runGuarded(spec, {
    stateDb: state.db,
    session: { userId: state.users.admin.id, sessionVersion: 1 },
    clientIp: null,
    rawInput,
  })
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
    for (const spec of Object.values(specs)) {
      expect(await asAdmin(spec, {})).toMatchObject({ ok: false, code: 'invalid_input' })
    }
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
    const [run] = await listRuns(state.db, { lockHeld: false })
    expect(run).toMatchObject({ kind: 'apply', status: 'succeeded', startedBy: state.users.admin.email, source: 'dashboard' })
    expect(run.backupPath).toMatch(new RegExp(`^${dataDir}/backups/pre-migration-run-${run.id}-\\d{8}T\\d{6}Z\\.dump$`))
    expect(fs.statSync(run.backupPath!).size).toBeGreaterThan(0)

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
    expect((await migrationStatus(target.db, state.db, dorMigrationSet())).pending).toEqual([newest])
  })

  it('a failing migration is reported in full: what failed, what stayed, and PostgreSQL\'s own message', async () => {
    // Something in the way of the pending migration's index (the migration file stays as it is).
    await sql`create index agenda_item_user_id_idx on meeting (id)`.execute(target.db)
    try {
      const result = await asAdmin(specs.apply, { mode: 'all' })
      expect(result).toMatchObject({ ok: false, code: 'migration_failed' })
      const [run] = await listRuns(state.db, { lockHeld: false })
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
    process.env.PG_BIN_DIR = '/nonexistent/bin'
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
      expect(result.message).toContain('pg_dump failed')
      const [run] = await listRuns(state.db, { lockHeld: false })
      expect(run).toMatchObject({ kind: 'apply', status: 'failed', steps: [] })
      expect((await migrationStatus(target.db, state.db, dorMigrationSet())).pending).toEqual([newest])
    } finally {
      delete process.env.PG_BIN_DIR
    }
  })

  it('acknowledges an edited migration, which lifts the block on apply', async () => {
    const set = dorMigrationSet()
    const edited = set.defs[0].name
    // History says it was applied from a different source than the one in the code now.
    const runId = await createRun(state.db, {
      kind: 'apply',
      targetDatabase: (await migrationStatus(target.db, state.db, set)).targetDatabase,
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
