import fs from 'node:fs'
import path from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type ActionHarness, openActionHarness } from '../../../test/action-harness'
import type { GuardedSpec } from '@/lib/auth/guarded-run'
import type { Role } from '@/lib/auth/permissions'
import { listAudit } from '@/lib/audit/audit-log'
import { buildDemoDatabase } from '@/lib/demo/prepare-demo'
import { countOrphans } from '@/lib/integrity/orphans'
import { describeRelation } from '@/lib/integrity/types'
import { listSoftRelations } from '@/lib/integrity/soft-relations'
import { createFixJob, type FixJob, getFixJob, markFixProgress } from '@/lib/integrity/fix-store'
import { openJobLiveness } from '@/lib/jobs/liveness'
import { getIntegrityRun } from '@/lib/integrity/run-store'
import { targetIdentity } from '@/lib/db/target-identity'

// revalidatePath needs a Next request; here the actions run in plain Node.
vi.mock('next/cache', () => ({ revalidatePath: () => {} }))

type Name = 'run' | 'cancel' | 'save' | 'remove' | 'validate' | 'fix' | 'cancelFix' | 'restore' | 'decideAll'

let h: ActionHarness
let state: ActionHarness['state']
/** Settings are kept per target (lib/db/target-identity.ts). */
const key = async () => (await targetIdentity(target.db)).key
let target: ActionHarness['target']
let dataDir: string
let specs: Record<Name, GuardedSpec<any, any>>

const uploads = { schema: 'public', table: 'fileupload', columns: 'agenda_item_id', refSchema: 'public', refTable: 'agenda_item', refColumns: 'id' }
const agenda = { schema: 'public', table: 'agenda_item', columns: ['meeting_id'], refSchema: 'public', refTable: 'meeting', refColumns: ['id'] }

beforeAll(async () => {
  h = await openActionHarness('intact', buildDemoDatabase)
  ;({ state, target, dataDir } = h)
  const { wrappedSpec } = await import('@/lib/auth/action')
  const mod = {
    ...(await import('./run-actions')),
    ...(await import('./relation-actions')),
    ...(await import('./constraint-actions')),
    ...(await import('./fix-actions')),
  }
  specs = {
    run: wrappedSpec(mod.runChecksAction)!,
    cancel: wrappedSpec(mod.cancelRunAction)!,
    save: wrappedSpec(mod.saveSoftRelationAction)!,
    remove: wrappedSpec(mod.deleteSoftRelationAction)!,
    validate: wrappedSpec(mod.validateConstraintAction)!,
    fix: wrappedSpec(mod.fixOrphansAction)!,
    cancelFix: wrappedSpec(mod.cancelFixAction)!,
    restore: wrappedSpec(mod.restoreFixAction)!,
    decideAll: wrappedSpec(mod.decideAllSuggestionsAction)!,
  }
})
afterAll(() => h?.close())

function as(role: Role, name: Name, rawInput: unknown) {
  return h.as(role, specs[name], rawInput)
}

function form(values: Record<string, string>): FormData {
  const f = new FormData()
  for (const [k, v] of Object.entries(values)) f.set(k, v)
  return f
}

async function waitForRun(id: number) {
  for (let i = 0; i < 600; i++) {
    const run = await getIntegrityRun(state.db, id)
    if (run && !['queued', 'running'].includes(run.status)) return run
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`run ${id} did not finish`)
}

describe('integrity runs', () => {
  it('starts one run at a time, and cancels only a running one', async () => {
    const first = await as('operator', 'run', {})
    expect(first).toMatchObject({ ok: true, message: expect.stringMatching(/^Started integrity run #\d+\.$/) })
    const runId = (first as { data: { runId: number } }).data.runId
    const second = await as('admin', 'run', {})
    expect(second).toMatchObject({ ok: false, code: 'conflict', message: expect.stringContaining(`#${runId}`) })
    const run = await waitForRun(runId)
    expect(run.status).toBe('succeeded')
    expect(await as('operator', 'cancel', { runId })).toMatchObject({ ok: false, code: 'conflict', message: `Run #${runId} is not running.` })
    expect(await as('operator', 'cancel', form({ runId: 'x' }))).toMatchObject({ ok: false, code: 'invalid_input' })
    expect(await as('viewer', 'run', {})).toMatchObject({ ok: false, code: 'forbidden' })
  })
})

describe('soft relations', () => {
  it('saves from a form (comma-separated columns), refuses what the catalog does not have, and deletes', async () => {
    const saved = await as(
      'operator',
      'save',
      form({ schema: 'public', table: 'meeting_attendee', columns: ' meeting_id ', refSchema: 'public', refTable: 'meeting', refColumns: 'id', status: 'accepted', origin: 'manual', note: '' }),
    )
    expect(saved).toMatchObject({ ok: true })
    const rel = (await listSoftRelations(state.db, await key())).find((s) => s.table === 'meeting_attendee')!
    expect(rel).toMatchObject({ columns: ['meeting_id'], refColumns: ['id'], origin: 'manual', note: null, createdBy: 'operator@test.local' })

    expect(
      await as('operator', 'save', { ...uploads, table: 'nope', status: 'accepted', origin: 'manual' }),
    ).toMatchObject({ ok: false, code: 'invalid_input', message: 'There is no table public.nope.' })
    expect(
      await as('operator', 'save', { ...uploads, refColumns: 'filename', refTable: 'fileupload', status: 'accepted', origin: 'manual' }),
    ).toMatchObject({ ok: false, code: 'invalid_input', message: expect.stringContaining('is not a primary key or unique') })
    expect(await as('operator', 'save', { ...uploads, columns: ' , ', status: 'accepted', origin: 'manual' })).toMatchObject({
      ok: false,
      code: 'invalid_input',
      message: 'columns: give at least one column',
    })

    expect(await as('operator', 'remove', form({ id: String(rel.id) }))).toMatchObject({ ok: true })
    expect(await as('operator', 'remove', { id: rel.id })).toMatchObject({ ok: false, code: 'not_found' })
  })
})

describe('validating constraints', () => {
  it('re-checks the catalog, and shows PostgreSQL’s message when rows violate it', async () => {
    const fk = { schema: 'public', table: 'meeting_attendee', name: 'meeting_attendee_user_id_fkey' }
    const failed = await as('operator', 'validate', fk)
    expect(failed).toMatchObject({ ok: false, code: 'validation_failed' })
    expect(failed.message).toContain('violates foreign key constraint "meeting_attendee_user_id_fkey"')
    expect(failed.message).toContain('is not present in table "user"')
    // The violating key is a row value: operators may not see it, admins may.
    expect(failed.message).toContain('Key (user_id)=(…) is not present')
    expect((await as('admin', 'validate', fk)).message).toMatch(/Key \(user_id\)=\(\d+\) is not present/)

    await sql`alter table meeting add constraint meeting_title_present check (title <> '') not valid`.execute(target.db)
    const check = { schema: 'public', table: 'meeting', name: 'meeting_title_present' }
    expect(await as('operator', 'validate', check)).toMatchObject({ ok: true, message: expect.stringContaining('Validated meeting_title_present') })
    expect(await as('operator', 'validate', check)).toMatchObject({ ok: false, code: 'conflict' })
    expect(await as('operator', 'validate', { ...check, name: 'nothing_like_it' })).toMatchObject({ ok: false, code: 'not_found' })
    expect(await as('viewer', 'validate', check)).toMatchObject({ ok: false, code: 'forbidden' })
  })
})

describe('fixing orphans', () => {
  it('is for admins only', async () => {
    expect(await as('operator', 'fix', { ...uploads, mode: 'set_null', confirm: 'SET NULL 15' })).toMatchObject({ ok: false, code: 'forbidden' })
  })

  it('refuses relations the checks do not know, and a confirmation that does not match the count now', async () => {
    expect(
      await as('admin', 'fix', { ...uploads, columns: 'user_id', refTable: 'meeting', mode: 'delete', confirm: 'DELETE 1' }),
    ).toMatchObject({ ok: false, code: 'not_found' })
    expect(await as('admin', 'fix', { ...uploads, mode: 'set_null', confirm: 'SET NULL 14' })).toMatchObject({
      ok: false,
      code: 'invalid_input',
      message: 'Type SET NULL 15 to confirm (there are 15 orphan rows now).',
    })
    expect(await as('admin', 'fix', { ...uploads, mode: 'delete', confirm: 'SET NULL 15' })).toMatchObject({
      ok: false,
      message: expect.stringContaining('Type DELETE 15 to confirm'),
    })
    expect(await as('admin', 'fix', { ...agenda, mode: 'set_null', confirm: 'SET NULL 25' })).toMatchObject({
      ok: false,
      code: 'invalid_input',
      message: 'meeting_id does not allow NULL: only deleting is possible.',
    })
    expect(fs.existsSync(path.join(dataDir, 'backups'))).toBe(false)
  })

  it('starts a background job that saves every row first, then fixes them; the audit names the job and the file', async () => {
    const result = await as('admin', 'fix', form({ ...uploads, mode: 'set_null', confirm: 'SET NULL 15' }))
    expect(result).toMatchObject({ ok: true })
    const { fixId, file } = (result as { data: { fixId: number; file: string } }).data
    expect(path.dirname(file)).toBe(path.join(dataDir, 'backups'))
    expect(path.basename(file)).toMatch(/^integrity-fix-public\.fileupload-\d{8}T\d{9}Z\.jsonl$/)
    expect(result.message).toBe(`Started fix #${fixId} to set agenda_item_id to NULL in 15 rows of public.fileupload; every row is saved to ${file} first.`)
    expect(await waitForFix(fixId)).toMatchObject({ status: 'succeeded', saved: 15, changed: 15, total: 15, startedBy: 'admin@test.local' })
    expect(fs.readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(15)
    expect(await countOrphans(target.db, { ...uploads, columns: ['agenda_item_id'], refColumns: ['id'] })).toBe(0)
    const [audit] = await listAudit(state.db, { action: 'integrity.fix_orphans', result: 'ok' })
    expect(audit.message).toContain(file)
    expect(audit.message).toContain(`#${fixId}`)

    expect(await as('admin', 'fix', { ...uploads, mode: 'set_null', confirm: 'SET NULL 0' })).toMatchObject({ ok: false, code: 'conflict' })
    expect(await as('admin', 'cancelFix', { fixId })).toMatchObject({ ok: false, code: 'conflict', message: `Job #${fixId} is not running.` })

    // Restore: admins only, once; the references come back.
    expect(await as('operator', 'restore', { fixId })).toMatchObject({ ok: false, code: 'forbidden' })
    expect(await as('viewer', 'restore', { fixId })).toMatchObject({ ok: false, code: 'forbidden' })
    expect(await as('admin', 'restore', { fixId: 'x' })).toMatchObject({ ok: false, code: 'invalid_input' })
    expect(await as('admin', 'restore', { fixId: 987654 })).toMatchObject({ ok: false, code: 'invalid_input', message: 'There is no fix #987654.' })
    const restored = await as('admin', 'restore', { fixId })
    expect(restored).toMatchObject({ ok: true, message: expect.stringMatching(new RegExp(`^Started restore #\\d+ of fix #${fixId}\\.$`)) })
    const restoreId = (restored as { data: { restoreId: number } }).data.restoreId
    expect(await waitForFix(restoreId)).toMatchObject({ kind: 'restore', status: 'succeeded', changed: 15 })
    expect(await countOrphans(target.db, { ...uploads, columns: ['agenda_item_id'], refColumns: ['id'] })).toBe(15)
    expect(await as('admin', 'restore', { fixId })).toMatchObject({ ok: false, code: 'invalid_input', message: `Fix #${fixId} was already restored by #${restoreId}.` })

    const deleted = await as('admin', 'fix', { ...agenda, mode: 'delete', confirm: 'DELETE 25' })
    expect(deleted).toMatchObject({ ok: true, message: expect.stringMatching(/^Started fix #\d+ to delete 25 rows of public\.agenda_item; every row is saved to .+\.jsonl first\.$/) })
    expect(await waitForFix((deleted as { data: { fixId: number } }).data.fixId)).toMatchObject({ status: 'succeeded', changed: 25 })
  })

  it('cancels a running fix for admins only, and refuses a second fix on the table or a restore while one runs', async () => {
    // A fix another worker is running: its job row says so, and that worker holds the job's liveness lock.
    const target0 = await targetIdentity(target.db)
    const relation = { ...uploads, columns: ['agenda_item_id'], refColumns: ['id'] }
    const { rows } = await sql<{ id: string }>`
      insert into job (kind, queue, target_key, target_database, subject, exclusive_key, state, trigger, started_by, started_at, attempts)
      values ('integrity.fix', 'integrity-fix-x', ${target0.key}, ${target0.database}, ${describeRelation(relation)},
              ${`integrity.fix:${target0.key}:${JSON.stringify(['public', 'fileupload'])}`}, 'running', 'manual', 'other@test.local', now(), 1)
      returning id`.execute(state.db)
    const jobId = Number(rows[0].id)
    const fixId = await createFixJob(state.db, {
      targetDatabase: target0.database,
      targetKey: target0.key,
      kind: 'fix',
      relation,
      mode: 'delete',
      file: path.join(dataDir, 'elsewhere.jsonl'),
      total: 25,
      startedBy: 'other@test.local',
      jobId,
    })
    await sql`update job set ref_id = ${fixId} where id = ${jobId}`.execute(state.db)
    await markFixProgress(state.db, fixId, { status: 'running', phase: 'saving' })
    const liveness = await openJobLiveness(state.db, 'elsewhere')
    expect(await liveness.hold('job', jobId)).toBe(true)
    // Deleting the agenda orphans above orphaned their uploads too.
    const orphanUploads = await countOrphans(target.db, relation)
    try {
      const busy = `Orphan fix is already running on public.fileupload(agenda_item_id) → public.agenda_item(id): job #${jobId} (fix #${fixId}), started by other@test.local at `
      expect(await as('admin', 'fix', { ...uploads, mode: 'delete', confirm: `DELETE ${orphanUploads}` })).toMatchObject({ ok: false, code: 'conflict', message: expect.stringContaining(busy) })
      // A restore shares the table's key: refused the same way, naming the fix that runs.
      expect(await as('admin', 'restore', { fixId })).toMatchObject({ ok: false, code: 'conflict', message: expect.stringContaining(busy) })
      expect(await as('operator', 'cancelFix', { fixId })).toMatchObject({ ok: false, code: 'forbidden' })
      expect(await as('viewer', 'cancelFix', { fixId })).toMatchObject({ ok: false, code: 'forbidden' })
      expect((await getFixJob(state.db, fixId))?.cancelRequested).toBe(false)
      expect(await as('admin', 'cancelFix', { fixId })).toMatchObject({ ok: true, message: `Job #${fixId} stops after its current batch; the batches done so far stay done.` })
      expect((await getFixJob(state.db, fixId))?.cancelRequested).toBe(true)
      expect(await countOrphans(target.db, relation)).toBe(orphanUploads)
    } finally {
      await markFixProgress(state.db, fixId, { status: 'cancelled' })
      await sql`update job set state = 'cancelled', finished_at = now() where id = ${jobId}`.execute(state.db)
      await liveness.release()
    }
  })
})

async function waitForFix(id: number): Promise<FixJob> {
  for (let i = 0; i < 600; i++) {
    const job = await getFixJob(state.db, id)
    if (job && !['queued', 'running'].includes(job.status)) return job
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`fix #${id} did not finish`)
}

describe('deciding all suggestions', () => {
  it('is for operators and admins, and says so when nothing is open', async () => {
    await sql`create table club (id integer primary key)`.execute(target.db)
    await sql`create table club_member (id serial primary key, club_id integer)`.execute(target.db)
    await sql`create table club_fee (id serial primary key, club_id integer)`.execute(target.db)
    expect(await as('viewer', 'decideAll', { status: 'accepted' })).toMatchObject({ ok: false, code: 'forbidden' })
    expect(await as('operator', 'decideAll', { status: 'maybe' })).toMatchObject({ ok: false, code: 'invalid_input' })
    const accepted = await as('operator', 'decideAll', form({ status: 'accepted' }))
    expect(accepted).toMatchObject({ ok: true, message: expect.stringMatching(/^Accepted \d+ suggestions: the next run checks them as soft relations\.$/) })
    const clubs = (await listSoftRelations(state.db, await key())).filter((r) => r.refTable === 'club').map((r) => [r.table, r.status, r.createdBy])
    expect(clubs.sort()).toEqual([
      ['club_fee', 'accepted', 'operator@test.local'],
      ['club_member', 'accepted', 'operator@test.local'],
    ])
    expect(await as('admin', 'decideAll', { status: 'dismissed' })).toMatchObject({ ok: false, code: 'conflict', message: 'There are no open suggestions.' })
  })
})
