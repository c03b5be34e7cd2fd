import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type ActionHarness, openActionHarness } from '../../../test/action-harness'
import type { GuardedSpec } from '@/lib/auth/guarded-run'
import type { Role } from '@/lib/auth/permissions'
import { buildDemoDatabase } from '@/lib/demo/prepare-demo'
import { JOB_KINDS } from '@/lib/jobs/all-kinds'
import { getJob } from '@/lib/jobs/job-store'
import { listSchedules } from '@/lib/jobs/schedules'
import { targetIdentity } from '@/lib/db/target-identity'

// revalidatePath needs a Next request; here the actions run in plain Node.
vi.mock('next/cache', () => ({ revalidatePath: () => {} }))

let h: ActionHarness
let specs: Record<'cancel' | 'schedule' | 'backupCancel', GuardedSpec<any, any>>
const agenda = { schema: 'public', table: 'agenda_item', columns: ['meeting_id'], refSchema: 'public', refTable: 'meeting', refColumns: ['id'] }

beforeAll(async () => {
  // This server only queues (JOBS_WORKER=0): the jobs wait, and are cancelled there.
  process.env.JOBS_WORKER = '0'
  h = await openActionHarness('jobs_actions', buildDemoDatabase)
  const { wrappedSpec } = await import('@/lib/auth/action')
  const mod = await import('./actions')
  const backups = await import('../backups/actions')
  specs = { cancel: wrappedSpec(mod.cancelJobAction)!, schedule: wrappedSpec(mod.saveScheduleAction)!, backupCancel: wrappedSpec(backups.cancelBackupWorkAction)! }
})
afterAll(async () => {
  await (await import('@/lib/jobs/server-jobs')).stopServerJobs()
  await h?.close()
  delete process.env.JOBS_WORKER
})

const as = (role: Role, name: keyof typeof specs, input: unknown) => h.as(role, specs[name], input)

async function queue(kind: string, input: unknown) {
  const { serverJobs } = await import('@/lib/jobs/server-jobs')
  return (await serverJobs()).enqueue(kind, input, { startedBy: 'someone@test.local', trigger: 'manual' })
}

describe('cancelling a job on the Jobs page', () => {
  it('lets operators cancel the kinds they start, admins every kind, viewers none', async () => {
    const run = await queue('integrity.run', {})
    const fix = await queue('integrity.fix', { relation: agenda, mode: 'delete', file: `${h.dataDir}/agenda.jsonl`, total: 25 })

    expect(await as('viewer', 'cancel', { jobId: run.id })).toMatchObject({ ok: false, code: 'forbidden' })
    expect(await as('operator', 'cancel', { jobId: 'x' })).toMatchObject({ ok: false, code: 'invalid_input', message: 'jobId: must be a job number' })
    expect(await as('operator', 'cancel', { jobId: 987654 })).toMatchObject({ ok: false, code: 'not_found', message: 'There is no job #987654.' })
    expect(await as('operator', 'cancel', { jobId: fix.id })).toMatchObject({ ok: false, code: 'forbidden', message: 'Your role (operator) may not cancel orphan fix jobs.' })
    expect((await getJob(h.state.db, fix.id))?.state).toBe('queued')

    expect(await as('operator', 'cancel', { jobId: run.id })).toMatchObject({ ok: true, message: `Job #${run.id} was cancelled before it started.` })
    expect(await as('admin', 'cancel', { jobId: fix.id })).toMatchObject({ ok: true, message: `Job #${fix.id} was cancelled before it started.` })
    expect((await getJob(h.state.db, run.id))?.state).toBe('cancelled')
    expect((await getJob(h.state.db, fix.id))?.state).toBe('cancelled')
    // Its own rows follow: the fix is recorded cancelled, and the table is free for the next one.
    const { rows } = await sql<{ status: string }>`select status from integrity_fix where id = ${fix.refId}`.execute(h.state.db)
    expect(rows[0].status).toBe('cancelled')
    expect(await as('admin', 'cancel', { jobId: fix.id })).toMatchObject({ ok: false, code: 'conflict', message: `Job #${fix.id} is not running (cancelled).` })

    const audit = await h.state.db.selectFrom('audit_log').select(['actor_email', 'result', 'target']).where('action', '=', 'jobs.cancel').orderBy('id').execute()
    expect(audit.map((a) => a.result)).toEqual(['denied', 'invalid', 'failed', 'failed', 'ok', 'ok', 'failed'])
    expect(audit[4]).toEqual({ actor_email: 'operator@test.local', result: 'ok', target: `job #${run.id} (integrity.run on ${run.subject})` })
  })
})

describe('cancelling a restore', () => {
  it('is for admins only, on the Jobs page and on the Backups page (backups.restore); operators and viewers change nothing', async () => {
    // Queued only (no worker here): the refusal is the permission's, whatever the job would do.
    const restoreInput = (database: string) => ({ backupId: '00000000-0000-4000-8000-000000000001', file: 'x.dump', mode: 'new', database })
    const first = await queue('backup.restore', restoreInput('restore_cancel_a'))
    for (const role of ['viewer', 'operator'] as const) {
      expect(await as(role, 'cancel', { jobId: first.id })).toMatchObject({ ok: false, code: 'forbidden' })
      expect(await as(role, 'backupCancel', { jobId: first.id })).toMatchObject({ ok: false, code: 'forbidden' })
    }
    expect(await as('operator', 'backupCancel', { jobId: first.id })).toMatchObject({ message: 'Your role (operator) may not stop a restore.' })
    expect(await as('operator', 'cancel', { jobId: first.id })).toMatchObject({ message: 'Your role (operator) may not cancel restore jobs.' })
    expect((await getJob(h.state.db, first.id))?.state).toBe('queued')

    expect(await as('admin', 'backupCancel', { jobId: first.id })).toMatchObject({ ok: true, message: `Job #${first.id} was cancelled before it started. Partial output is removed.` })
    expect((await getJob(h.state.db, first.id))?.state).toBe('cancelled')
    // One restore per target at a time: the key is free again for the next, which the Jobs page's Cancel stops.
    const second = await queue('backup.restore', restoreInput('restore_cancel_b'))
    expect(await as('operator', 'cancel', { jobId: second.id })).toMatchObject({ ok: false, code: 'forbidden' })
    expect(await as('admin', 'cancel', { jobId: second.id })).toMatchObject({ ok: true, message: `Job #${second.id} was cancelled before it started.` })
    expect((await getJob(h.state.db, second.id))?.state).toBe('cancelled')

    const denied = await h.state.db
      .selectFrom('audit_log')
      .select(['actor_email', 'action'])
      .where('result', '=', 'denied')
      .where('action', 'in', ['jobs.cancel', 'backups.cancel'])
      .execute()
    expect(denied.map((a) => `${a.action} ${a.actor_email}`).sort()).toContain('backups.cancel viewer@test.local')
  })
})

describe('schedules', () => {
  it('are changed by admins only, checked by pg-boss, and audited', async () => {
    for (const role of ['operator', 'viewer'] as const) {
      expect(await as(role, 'schedule', { kind: 'integrity.run', cron: '0 4 * * *', timezone: 'UTC', enabled: 'on' })).toMatchObject({ ok: false, code: 'forbidden' })
    }
    const bad = await as('admin', 'schedule', { kind: 'integrity.run', cron: 'every day', timezone: 'UTC', enabled: 'on' })
    expect(bad).toMatchObject({ ok: false, code: 'invalid_input', fieldErrors: { cron: expect.stringContaining('"every day" is not a cron schedule') } })
    const zone = await as('admin', 'schedule', { kind: 'integrity.run', cron: '0 4 * * *', timezone: 'Mars/Olympus', enabled: 'on' })
    expect(zone).toMatchObject({ ok: false, code: 'invalid_input', fieldErrors: { timezone: expect.stringContaining('"Mars/Olympus" is not a time zone') } })
    expect(await as('admin', 'schedule', { kind: 'integrity.fix', cron: '0 4 * * *', timezone: 'UTC', enabled: 'on' })).toMatchObject({
      ok: false,
      code: 'invalid_input',
      message: 'integrity.fix does not run on a schedule.',
    })

    const ok = await as('admin', 'schedule', { kind: 'integrity.run', cron: '30  4 * * 1-5', timezone: 'Europe/Berlin', enabled: 'on' })
    expect(ok).toMatchObject({ ok: true, message: 'Integrity run now runs on "30 4 * * 1-5" (Europe/Berlin).' })
    const key = (await targetIdentity(h.target.db)).key
    const [listed] = await listSchedules(h.state.db, JOB_KINDS, key, {})
    expect(listed).toMatchObject({ kind: 'integrity.run', cron: '30 4 * * 1-5', timezone: 'Europe/Berlin', enabled: true, setBy: 'admin@test.local' })
    // pg-boss holds it: whichever instance's cron monitor comes first fires it, once.
    const boss = await sql<{ cron: string; timezone: string }>`select cron, timezone from pgboss.schedule where name like 'integrity-run%'`.execute(h.state.db)
    expect(boss.rows).toEqual([{ cron: '30 4 * * 1-5', timezone: 'Europe/Berlin' }])

    expect(await as('admin', 'schedule', { kind: 'integrity.run', cron: '30 4 * * 1-5', timezone: 'Europe/Berlin' })).toMatchObject({ ok: true, message: 'Integrity run no longer runs on a schedule.' })
    expect((await sql`select 1 from pgboss.schedule where name like 'integrity-run%'`.execute(h.state.db)).rows).toHaveLength(0)
    const audit = await h.state.db.selectFrom('audit_log').select(['actor_email', 'result']).where('action', '=', 'jobs.schedule.save').orderBy('id').execute()
    expect(audit.map((a) => a.result)).toEqual(['denied', 'denied', 'failed', 'failed', 'failed', 'ok', 'ok'])
  })
})
