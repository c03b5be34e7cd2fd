import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type ActionHarness, openActionHarness } from '../../../test/action-harness'
import { databaseExists, rowCounts } from '../../../test/backup-fixture'
import { lockTable } from '../../../test/lock-table'
import type { GuardedSpec } from '@/lib/auth/guarded-run'
import type { Role } from '@/lib/auth/permissions'
import { listAudit } from '@/lib/audit/audit-log'
import { type BackupRecord, getBackup, listBackups } from '@/lib/backups/catalogue'
import { createDb, withDatabase } from '@/lib/db/connect'
import { targetIdentity } from '@/lib/db/target-identity'
import { buildDemoDatabase } from '@/lib/demo/prepare-demo'
import { dropDatabase } from '@/lib/runtime/cluster-databases'
import { getJob, type JobRow } from '@/lib/jobs/job-store'
import { getRetentionPolicy } from '@/lib/backups/retention-policy'

// revalidatePath needs a Next request; here the actions run in plain Node.
vi.mock('next/cache', () => ({ revalidatePath: () => {} }))

type Name = 'create' | 'cancel' | 'verify' | 'restore' | 'remove' | 'retention'

let h: ActionHarness
let specs: Record<Name, GuardedSpec<any, any>>
let targetKey: string
let backupDir: string
const made: string[] = []

beforeAll(async () => {
  h = await openActionHarness('bkact', buildDemoDatabase)
  targetKey = (await targetIdentity(h.target.db)).key
  backupDir = path.join(h.dataDir, 'backups')
  const { wrappedSpec } = await import('@/lib/auth/action')
  const mod = await import('./actions')
  specs = {
    create: wrappedSpec(mod.createBackupAction)!,
    cancel: wrappedSpec(mod.cancelBackupWorkAction)!,
    verify: wrappedSpec(mod.verifyBackupAction)!,
    restore: wrappedSpec(mod.restoreBackupAction)!,
    remove: wrappedSpec(mod.deleteBackupAction)!,
    retention: wrappedSpec(mod.applyRetentionAction)!,
  }
})
afterAll(async () => {
  for (const m of made) await dropDatabase(h.target.url, m).catch(() => {})
  await h?.close()
})

const as = (role: Role, name: Name, input: unknown) => h.as(role, specs[name], input)

function form(values: Record<string, string>): FormData {
  const f = new FormData()
  for (const [k, v] of Object.entries(values)) f.set(k, v)
  return f
}

/** The job's row once it ended. */
async function workFinished(jobId: number): Promise<JobRow> {
  for (let i = 0; i < 1200; i++) {
    const j = await getJob(h.state.db, jobId)
    if (j && !['queued', 'running'].includes(j.state)) return j
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`job #${jobId} did not finish`)
}

const jobOf = (r: unknown) => (r as { data: { jobId: number } }).data.jobId

/** The backup a job took, once the job ended. */
async function finishedBackup(jobId: number): Promise<BackupRecord> {
  const job = await workFinished(jobId)
  const id = (job.result as { backupId?: string } | null)?.backupId
  const b = id ? await getBackup(h.state.db, targetKey, id) : (await listBackups(h.state.db, targetKey)).find((x) => x.jobId === jobId)
  if (!b) throw new Error(`job #${jobId} left no backup: ${JSON.stringify(job)}`)
  return b
}

/** The backup row a queued job's worker made, once it exists. */
async function startedBackup(jobId: number): Promise<BackupRecord> {
  for (let i = 0; i < 300; i++) {
    const b = (await listBackups(h.state.db, targetKey)).find((x) => x.jobId === jobId)
    if (b) return b
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`job #${jobId} made no backup row`)
}

/** A full custom-format backup taken as the operator, finished. */
async function fullBackup(): Promise<BackupRecord> {
  const r = await as('operator', 'create', form({ kind: 'full', format: 'custom', schemas: '', tables: '' }))
  expect(r).toMatchObject({ ok: true })
  const b = await finishedBackup(jobOf(r))
  expect(b.status).toBe('succeeded')
  return b
}

const files = () => (fs.existsSync(backupDir) ? fs.readdirSync(backupDir) : [])

describe('create', () => {
  it('is refused to viewers and bad input, and changes nothing', async () => {
    expect(await as('viewer', 'create', { kind: 'full' })).toMatchObject({ ok: false, code: 'forbidden' })
    expect(await as('operator', 'create', { kind: 'everything' })).toMatchObject({ ok: false, code: 'invalid_input', message: expect.stringMatching(/^kind: /) })
    expect(await as('operator', 'create', { kind: 'full', tables: 'a.b.c' })).toMatchObject({ ok: false, code: 'invalid_input' })
    expect(await listBackups(h.state.db, targetKey)).toEqual([])
    const denied = await listAudit(h.state.db, { action: 'backups.create', result: 'denied' })
    expect(denied.map((a) => a.actorEmail)).toEqual(['viewer@test.local'])
  })

  it('runs in the background as operator and admin, limited to tables when asked, and audits start and end', async () => {
    const b = await fullBackup()
    expect(b).toMatchObject({ kind: 'full', format: 'custom', createdBy: 'operator@test.local', origin: 'manual' })
    expect(fs.existsSync(path.join(backupDir, b.file))).toBe(true)

    const r = await as('admin', 'create', form({ kind: 'data', format: 'plain', tables: 'public.meeting, agenda_item' }))
    expect(r).toMatchObject({ ok: true, message: expect.stringContaining('data-only backup') })
    const scoped = await finishedBackup(jobOf(r))
    expect(scoped).toMatchObject({ status: 'succeeded', kind: 'data', format: 'plain', scope: { tables: [{ schema: 'public', table: 'meeting' }, { schema: 'public', table: 'agenda_item' }] } })
    expect(scoped.rowCounts!.map((t) => t.table).sort()).toEqual(['agenda_item', 'meeting'])

    await new Promise((r) => setTimeout(r, 200))
    const finished = await listAudit(h.state.db, { action: 'backups.create.finished' })
    expect(finished.map((a) => [a.actorEmail, a.result])).toEqual(expect.arrayContaining([['operator@test.local', 'ok'], ['admin@test.local', 'ok']]))
  })
})

describe('cancel', () => {
  it('stops a running backup for operators (not viewers): pg_dump stopped, failed, no file left', async () => {
    const locker = createDb(h.target.url, { max: 1 })
    const lock = await lockTable(locker, 'meeting')
    try {
      const r = await as('operator', 'create', { kind: 'full' })
      expect(r).toMatchObject({ ok: true, message: expect.stringMatching(/^Started a full backup of .* as job #\d+\.$/) })
      const jobId = jobOf(r)
      const running = await startedBackup(jobId)
      expect(running.status).toBe('running')
      // One at a time per target, whatever the kind: a second start is refused naming the first.
      expect(await as('admin', 'create', { kind: 'schema' })).toMatchObject({ ok: false, code: 'conflict', message: expect.stringContaining(`Full backup is already running on`) })
      expect(await as('viewer', 'cancel', { jobId })).toMatchObject({ ok: false, code: 'forbidden' })
      expect(await as('operator', 'cancel', { jobId: 'not-a-job' })).toMatchObject({ ok: false, code: 'invalid_input' })
      expect(await as('operator', 'cancel', { jobId: 999_999 })).toMatchObject({ ok: false, code: 'not_found' })
      expect(await as('operator', 'cancel', { jobId })).toMatchObject({ ok: true, message: expect.stringContaining('stops at its next safe point') })
      const b = await finishedBackup(jobId)
      expect(b).toMatchObject({ status: 'failed', error: 'Cancelled on request.' })
      expect(await getJob(h.state.db, jobId)).toMatchObject({ state: 'cancelled', message: 'Cancelled on request.' })
      expect(files().filter((f) => f.startsWith(b.file))).toEqual([])
      expect(await as('operator', 'cancel', { jobId })).toMatchObject({ ok: false, code: 'conflict' })
    } finally {
      await lock.release()
      await locker.destroy()
    }
  })
})

describe('verify and drill', () => {
  it('run as operator and admin, not as viewer, and record the result on the backup', async () => {
    const b = await fullBackup()
    expect(await as('viewer', 'verify', { id: b.id })).toMatchObject({ ok: false, code: 'forbidden' })
    expect(await as('operator', 'verify', { id: '00000000-0000-4000-8000-000000000000' })).toMatchObject({ ok: false, code: 'not_found' })

    const v = await as('operator', 'verify', { id: b.id })
    expect(v).toMatchObject({ ok: true })
    const work = await workFinished(jobOf(v))
    expect(work).toMatchObject({ state: 'succeeded', kind: 'backup.verify', startedBy: 'operator@test.local', message: expect.stringMatching(/^Verified: the checksum matches and pg_restore reads its \d+ entries\.$/) })
    expect(await getBackup(h.state.db, targetKey, b.id)).toMatchObject({ verifyOk: true, verifyKind: 'checksum' })

    const d = await as('admin', 'verify', form({ id: b.id, drill: 'on' }))
    const drill = await workFinished(jobOf(d))
    expect(drill).toMatchObject({ state: 'succeeded', kind: 'backup.drill', message: expect.stringMatching(/^Drill of .* passed: /) })
    expect(await getBackup(h.state.db, targetKey, b.id)).toMatchObject({ verifyOk: true, verifyKind: 'drill' })
    const audit = await listAudit(h.state.db, { action: 'backups.drill.finished' })
    expect(audit).toMatchObject([{ actorEmail: 'admin@test.local', result: 'ok' }])
  })

  it('a damaged file fails verification, recorded as such', async () => {
    const b = await fullBackup()
    fs.appendFileSync(path.join(backupDir, b.file), 'x')
    const v = await as('operator', 'verify', { id: b.id })
    const work = await workFinished(jobOf(v))
    expect(work).toMatchObject({ state: 'failed', message: expect.stringContaining('checksum does not match') })
    expect(await getBackup(h.state.db, targetKey, b.id)).toMatchObject({ verifyOk: false })
    await as('admin', 'remove', { id: b.id })
  })
})

describe('restore', () => {
  let b: BackupRecord
  beforeAll(async () => {
    b = await fullBackup()
  })

  it('is for admins only, and needs the destination database typed', async () => {
    const name = `bkact_new_${Date.now().toString(36)}`
    for (const role of ['viewer', 'operator'] as const) {
      expect(await as(role, 'restore', { id: b.id, mode: 'new', database: name, confirm: name })).toMatchObject({ ok: false, code: 'forbidden' })
    }
    expect(await as('admin', 'restore', { id: b.id, mode: 'new', database: name, confirm: 'something else' })).toMatchObject({
      ok: false,
      code: 'invalid_input',
      fieldErrors: { confirm: `type ${name}` },
    })
    expect(await as('admin', 'restore', { id: b.id, mode: 'new', confirm: name })).toMatchObject({ ok: false, code: 'invalid_input', fieldErrors: { database: 'name the new database' } })
    expect(await databaseExists(h.target.db, name)).toBe(false)
  })

  it('into a new database gives the same row counts, and the target is untouched', async () => {
    const name = `bkact_new_${Date.now().toString(36)}`
    made.push(name)
    const r = await as('admin', 'restore', form({ id: b.id, mode: 'new', database: name, confirm: name }))
    expect(r).toMatchObject({ ok: true })
    const work = await workFinished(jobOf(r))
    expect(work).toMatchObject({ state: 'succeeded', kind: 'backup.restore', message: expect.stringContaining(`Restored into the new database ${name}`) })
    const copy = createDb(withDatabase(h.target.url, name), { max: 1 })
    try {
      expect(await rowCounts(copy)).toEqual(await rowCounts(h.target.db))
    } finally {
      await copy.destroy()
    }
    const audit = await listAudit(h.state.db, { action: 'backups.restore.finished' })
    expect(audit[0]).toMatchObject({ actorEmail: 'admin@test.local', result: 'ok' })
  })

  it('one table into a new database, with what it needs, and says so', async () => {
    const name = `bkact_tbl_${Date.now().toString(36)}`
    made.push(name)
    const r = await as('admin', 'restore', { id: b.id, mode: 'table', table: 'public.agenda_item', database: name, confirm: name })
    expect(r).toMatchObject({ ok: true })
    const work = await workFinished(jobOf(r))
    expect(work).toMatchObject({ state: 'succeeded', message: expect.stringMatching(new RegExp(`^Restored public\\.agenda_item \\(\\d+ rows\\) into ${name}`)) })
  })

  it('over the target needs the target named, and keeps a safety backup', async () => {
    const before = await rowCounts(h.target.db)
    expect(await as('admin', 'restore', { id: b.id, mode: 'target', confirm: 'nope' })).toMatchObject({ ok: false, code: 'invalid_input' })
    const target = (await targetIdentity(h.target.db)).database
    const r = await as('admin', 'restore', { id: b.id, mode: 'target', confirm: target })
    const work = await workFinished(jobOf(r))
    expect(work).toMatchObject({ state: 'succeeded', message: expect.stringContaining('the safety backup') })
    expect(await rowCounts(h.target.db)).toEqual(before)
    const safety = (await listBackups(h.state.db, targetKey)).find((x) => x.origin === 'safety')
    expect(safety).toMatchObject({ status: 'succeeded', createdBy: 'admin@test.local' })
  })
})

describe('delete and retention', () => {
  it('delete is for admins only, removes the file and keeps the record, audited', async () => {
    const b = await fullBackup()
    for (const role of ['viewer', 'operator'] as const) expect(await as(role, 'remove', { id: b.id })).toMatchObject({ ok: false, code: 'forbidden' })
    expect(fs.existsSync(path.join(backupDir, b.file))).toBe(true)
    expect(await as('admin', 'remove', { id: b.id })).toMatchObject({ ok: true })
    expect(fs.existsSync(path.join(backupDir, b.file))).toBe(false)
    expect(await getBackup(h.state.db, targetKey, b.id)).toMatchObject({ deletedBy: 'admin@test.local' })
    expect(await as('admin', 'remove', { id: b.id })).toMatchObject({ ok: false, code: 'not_found' })
    const audit = await listAudit(h.state.db, { action: 'backups.delete' })
    expect(audit.filter((a) => a.target === `backup ${b.id}`).map((a) => [a.actorEmail, a.result])).toEqual([
      ['admin@test.local', 'failed'],
      ['admin@test.local', 'ok'],
    ])
    const denied = audit.filter((a) => a.result === 'denied').map((a) => a.actorEmail)
    expect(new Set(denied)).toEqual(new Set(['operator@test.local', 'viewer@test.local']))
  })

  it('retention: previews, saves the policy, then applies it; admins only, bad input changes nothing', async () => {
    await fullBackup()
    const fulls = () => listBackups(h.state.db, targetKey).then((l) => l.filter((x) => x.kind === 'full'))
    const count = (await fulls()).length
    expect(count).toBeGreaterThan(1)
    for (const role of ['viewer', 'operator'] as const) {
      for (const intent of ['preview', 'save', 'apply']) expect(await as(role, 'retention', { keepLast: 1, intent })).toMatchObject({ ok: false, code: 'forbidden' })
    }
    expect(await as('admin', 'retention', { intent: 'save' })).toMatchObject({ ok: false, code: 'invalid_input', message: expect.stringContaining('keep something') })
    expect(await as('admin', 'retention', { keepLast: -1, intent: 'save' })).toMatchObject({ ok: false, code: 'invalid_input' })
    expect(await as('admin', 'retention', { keepLast: 1, intent: 'everything' })).toMatchObject({ ok: false, code: 'invalid_input' })
    expect(await getRetentionPolicy(h.state.db, targetKey)).toBeNull()

    const preview = await as('admin', 'retention', form({ keepLast: '1', intent: 'preview', enabled: 'on' }))
    expect(preview).toMatchObject({ ok: true, message: expect.stringMatching(/^The policy would delete \d+ backups? and keep/) })
    expect((await fulls()).length).toBe(count)
    expect(await getRetentionPolicy(h.state.db, targetKey)).toBeNull()

    const saved = await as('admin', 'retention', form({ keepLast: '1', keepDaily: '', intent: 'save', enabled: 'on' }))
    expect(saved).toMatchObject({ ok: true, message: expect.stringMatching(/^Saved the retention policy\. Applied after each successful scheduled backup; today it would delete \d+ backups?/) })
    expect(await getRetentionPolicy(h.state.db, targetKey)).toMatchObject({ policy: { keepLast: 1 }, enabled: true, setBy: 'admin@test.local' })
    expect((await fulls()).length).toBe(count)

    const applied = await as('admin', 'retention', { keepLast: 1, keepWithinDays: 0, intent: 'apply' })
    expect(applied).toMatchObject({ ok: true, message: expect.stringMatching(/^Saved the policy and deleted \d+ backups?/) })
    expect(await getRetentionPolicy(h.state.db, targetKey)).toMatchObject({ policy: { keepLast: 1, keepWithinDays: 0 }, enabled: false })
    const left = (await fulls()).filter((x) => x.status === 'succeeded')
    expect(left).toHaveLength(1)
    const deletions = await listAudit(h.state.db, { action: 'backups.delete' })
    expect(deletions.some((a) => a.actorEmail === 'admin@test.local' && /by the retention policy/.test(a.message ?? ''))).toBe(true)
    const audited = await listAudit(h.state.db, { action: 'backups.retention' })
    expect(new Set(audited.filter((a) => a.result === 'denied').map((a) => a.actorEmail))).toEqual(new Set(['operator@test.local', 'viewer@test.local']))
  })
})

describe('upload', () => {
  let upload: GuardedSpec<any, any>
  beforeAll(async () => {
    const { wrappedSpec } = await import('@/lib/auth/action')
    upload = wrappedSpec((await import('../../api/backups/upload/route')).POST)!
  })
  const body = (bytes: Buffer) => new Blob([new Uint8Array(bytes)]).stream()

  it('is for admins only; a real dump is accepted, anything else refused and not kept', async () => {
    const b = await fullBackup()
    const dump = fs.readFileSync(path.join(backupDir, b.file))
    for (const role of ['viewer', 'operator'] as const) {
      expect(await h.as(role, upload, { name: 'x.dump', body: body(dump) })).toMatchObject({ ok: false, code: 'forbidden' })
    }
    const before = files().length
    const huge = await h.as('admin', upload, { name: 'big.dump', declaredBytes: 11 * 1024 ** 3, body: body(dump) })
    expect(huge).toMatchObject({ ok: false, code: 'too_large', message: expect.stringContaining('BACKUP_UPLOAD_MAX_BYTES') })
    const bad = await h.as('admin', upload, { name: 'notes.txt', body: body(Buffer.from('not a dump at all')) })
    expect(bad).toMatchObject({ ok: false, code: 'invalid_input', message: expect.stringContaining('Not a custom-format dump') })
    // A zero-byte file, and a file name with a NUL (x-file-name: a%00b): refused as such, not "the audit log cannot be written".
    expect(await h.as('admin', upload, { name: 'empty.dump', body: body(Buffer.alloc(0)) })).toMatchObject({ ok: false, code: 'invalid_input', message: 'The upload is empty.' })
    expect(await h.as('admin', upload, { name: 'a\0b.dump', body: body(Buffer.from('not a dump')) })).toMatchObject({ ok: false, code: 'invalid_input' })
    expect(files().length).toBe(before)
    const ok = await h.as('admin', upload, { name: 'dor.dump', body: body(dump) })
    expect(ok).toMatchObject({ ok: true, data: { kind: 'full', sizeBytes: dump.length } })
    expect(await getBackup(h.state.db, targetKey, (ok as { data: { id: string } }).data.id)).toMatchObject({ origin: 'upload', status: 'succeeded', createdBy: 'admin@test.local' })
  })
})
