import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { getJob, type JobRow, listJobs } from '@/lib/jobs/job-store'
import { waitForJob } from '@/lib/jobs/wait-for-job'
import type { ActionResult } from '@/lib/auth/action-result'
import { alembicTo, FIXTURE_DIR, fixtureSettings, PYTHON_ALEMBIC, REV } from '../../../test/alembic-fixture'
import { type ActionHarness, openActionHarness } from '../../../test/action-harness'
import { listAudit } from '@/lib/audit/audit-log'
import type { GuardedSpec } from '@/lib/auth/guarded-run'
import type { Role } from '@/lib/auth/permissions'
import { readAlembicVersion } from '@/lib/alembic/version-table'
import { dorMigrationSet } from '@/lib/migrations/registry'
import { listRuns } from '@/lib/migrations/run-store'
import { migrationStatus } from '@/lib/migrations/status'
import { targetIdentity } from '@/lib/db/target-identity'

// revalidatePath needs a Next request; here the actions run in plain Node.
vi.mock('next/cache', () => ({ revalidatePath: () => {} }))

let h: ActionHarness
let alembic: Record<'dryRun' | 'upgrade' | 'downgrade' | 'rehearse' | 'drift', GuardedSpec<any, any>>
let adoption: Record<'baseline' | 'decide', GuardedSpec<any, any>>
let chain: Record<'apply' | 'rollback' | 'acknowledge' | 'dryRun' | 'rehearse' | 'drift' | 'replay', GuardedSpec<any, any>>
const dor = await dorMigrationSet()

beforeAll(async () => {
  h = await openActionHarness('alact')
  process.env.ALEMBIC_DIR = FIXTURE_DIR
  process.env.ALEMBIC_COMMAND = JSON.stringify(PYTHON_ALEMBIC)
  await alembicTo(fixtureSettings(), h.target.url, REV.merge)
  const { wrappedSpec } = await import('@/lib/auth/action')
  const a = await import('./alembic-actions')
  const b = await import('./adoption-actions')
  const c = await import('./actions')
  alembic = {
    dryRun: wrappedSpec(a.alembicDryRunAction)!,
    upgrade: wrappedSpec(a.alembicUpgradeAction)!,
    downgrade: wrappedSpec(a.alembicDowngradeAction)!,
    rehearse: wrappedSpec(a.alembicRehearseAction)!,
    drift: wrappedSpec(a.alembicDriftAction)!,
  }
  adoption = { baseline: wrappedSpec(b.baselineAction)!, decide: wrappedSpec(b.decideManagementAction)! }
  chain = {
    apply: wrappedSpec(c.applyMigrationsAction)!,
    rollback: wrappedSpec(c.rollbackMigrationAction)!,
    acknowledge: wrappedSpec(c.acknowledgeEditAction)!,
    dryRun: wrappedSpec(c.dryRunAction)!,
    rehearse: wrappedSpec(c.rehearseAction)!,
    drift: wrappedSpec(c.driftAction)!,
    replay: wrappedSpec(c.replayAction)!,
  }
})
afterAll(async () => {
  await (await import('@/lib/jobs/server-jobs')).stopServerJobs()
  delete process.env.ALEMBIC_DIR
  delete process.env.ALEMBIC_COMMAND
  await h?.close()
})

async function kyselyTables(): Promise<boolean> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_class where relname in ('kysely_migration', 'kysely_migration_lock')`.execute(h.target.db)
  return rows[0].n > 0
}

async function at() {
  return readAlembicVersion(h.target.db)
}

/**
 * An upgrade or downgrade action answers at once: the job is queued, not run (its row, as the
 * action read it, is still queued). Then the job is followed to its end, as the page does.
 */
async function queuedThenEnded(r: ActionResult<unknown>, command: 'upgrade' | 'downgrade'): Promise<JobRow> {
  expect(r).toMatchObject({ ok: true, message: expect.stringMatching(new RegExp(`^Alembic ${command} queued as job #\\d+\\.$`)) })
  const data = (r as { data: { jobId: number; job: { id: number; kind: string; state: string } } }).data
  expect(r.message).toBe(`Alembic ${command} queued as job #${data.jobId}.`)
  expect(data.job).toMatchObject({ id: data.jobId, kind: `alembic.${command}`, state: 'queued' })
  expect((await getJob(h.state.db, data.jobId))?.kind).toBe(`alembic.${command}`)
  return waitForJob(h.state.db, data.jobId, { timeoutMs: 120_000 })
}

describe('Alembic actions, as every role', () => {
  it('viewers may run none; operators the dry run, rehearsal and drift; admins everything — each refusal audited', async () => {
    const operatorMay = new Set(['dryRun', 'rehearse', 'drift'])
    for (const [key, spec] of Object.entries(alembic)) {
      for (const role of ['viewer', 'operator'] as Role[]) {
        const r = await h.as(role, spec, { revision: REV.base })
        if (role === 'operator' && operatorMay.has(key)) expect(r.code, `${key} as ${role}`).not.toBe('forbidden')
        else expect(r, `${key} as ${role}`).toMatchObject({ ok: false, code: 'forbidden' })
      }
    }
    for (const spec of Object.values(adoption)) {
      for (const role of ['viewer', 'operator'] as Role[]) expect(await h.as(role, spec, { to: dor.defs[0].name, decision: 'ours' })).toMatchObject({ code: 'forbidden' })
    }
    expect(await at()).toEqual([REV.merge])
    const denied = await listAudit(h.state.db, { action: 'alembic.upgrade', result: 'denied' })
    expect(denied.map((d) => d.actorEmail).sort()).toEqual([h.state.users.operator.email, h.state.users.viewer.email])
  })

  it('bad input is refused with a clear message and changes nothing', async () => {
    expect(await h.as('admin', alembic.downgrade, {})).toMatchObject({ ok: false, code: 'invalid_input', message: 'revision: name a revision' })
    expect(await h.as('admin', alembic.upgrade, { revision: '--sql' })).toMatchObject({
      code: 'invalid_input',
      message: 'revision: must be an Alembic revision: head, base, an id, -1, +2 or branch@head',
    })
    expect(await h.as('admin', alembic.dryRun, { direction: 'sideways' })).toMatchObject({ code: 'invalid_input' })
    expect(await at()).toEqual([REV.merge])
  })

  it('a dry run as operator shows the exact SQL and changes nothing', async () => {
    const r = await h.as('operator', alembic.dryRun, {})
    expect(r).toMatchObject({ ok: true, message: `Offline SQL of alembic upgrade ${REV.merge}:head: 2 statements; nothing was run.` })
    expect((r as { data: { sql: string } }).data.sql).toContain("alter type userrole add value 'SECRETARY';")
    expect(await at()).toEqual([REV.merge])
  })

  it('the admin upgrades and downgrades: each returns the job at once, the job then ends; each run is in the history and the audit log', async () => {
    const up = await h.as('admin', alembic.upgrade, {})
    const upJob = await queuedThenEnded(up, 'upgrade')
    expect(upJob).toMatchObject({
      state: 'succeeded',
      message: `Alembic upgrade to head: 1 revision applied. The database is at ${REV.secretary} (read from alembic_version after the run).`,
    })
    expect(await at()).toEqual([REV.secretary])
    const downJob = await queuedThenEnded(await h.as('admin', alembic.downgrade, { revision: '-1' }), 'downgrade')
    expect(downJob.state).toBe('succeeded')
    expect(await at()).toEqual([REV.merge])
    const runs = await listRuns(h.state.db, { targetKey: (await targetIdentity(h.target.db)).key, limit: 3, lockHeld: false })
    expect(runs.map((r) => [r.kind, r.status])).toEqual([
      ['alembic_downgrade', 'succeeded'],
      ['alembic_upgrade', 'succeeded'],
      ['alembic_sql', 'succeeded'],
    ])
    const audited = await listAudit(h.state.db, { action: 'alembic.upgrade', result: 'ok' })
    expect(audited[0]).toMatchObject({ actorEmail: h.state.users.admin.email, target: 'head' })
    // Both ran as jobs: on the Jobs page with Alembic's output as progress, linked to their runs,
    // and the runs name the database role they used, as the chain's runs do.
    const key = (await targetIdentity(h.target.db)).key
    const jobs = await listJobs(h.state.db, { targetKey: key, kinds: ['alembic.upgrade', 'alembic.downgrade'] })
    expect(jobs.map((j) => [j.kind, j.state, j.startedBy, j.refId])).toEqual([
      ['alembic.downgrade', 'succeeded', h.state.users.admin.email, runs[0].id],
      ['alembic.upgrade', 'succeeded', h.state.users.admin.email, runs[1].id],
    ])
    expect(jobs[1].progress.label).toMatch(/Running upgrade/)
    expect(up.ok && (up.data as { jobId: number }).jobId).toBe(jobs[1].id)
    expect(runs[0].dbRole).toEqual(expect.any(String))
    expect(runs[1].dbRole).toBe(runs[0].dbRole)
  })

  it('a second run while one is queued or running is refused with that job’s details, audited, and queues nothing', async () => {
    const first = await h.as('admin', alembic.upgrade, {})
    expect(first.ok).toBe(true)
    const id = (first as { data: { jobId: number } }).data.jobId
    const second = await h.as('admin', alembic.downgrade, { revision: 'base' })
    expect(second).toMatchObject({ ok: false, code: 'conflict', message: expect.stringMatching(new RegExp(`^Alembic upgrade is already (queued|running) on .*: job #${id}\\b.*started by ${h.state.users.admin.email}`)) })
    expect(await listAudit(h.state.db, { action: 'alembic.downgrade', result: 'failed' })).toHaveLength(1)
    expect((await waitForJob(h.state.db, id, { timeoutMs: 120_000 })).state).toBe('succeeded')
    const key = (await targetIdentity(h.target.db)).key
    expect(await listJobs(h.state.db, { targetKey: key, kinds: ['alembic.downgrade'] })).toHaveLength(1)
    expect(await at()).toEqual([REV.secretary])
    // Back where the next tests expect the database.
    expect((await queuedThenEnded(await h.as('admin', alembic.downgrade, { revision: '-1' }), 'downgrade')).state).toBe('succeeded')
    expect(await at()).toEqual([REV.merge])
  })

  it('a downgrade Alembic cannot do is queued, and its job fails with Alembic’s message and where the database is', async () => {
    const job = await queuedThenEnded(await h.as('admin', alembic.downgrade, { revision: 'ffffffffffff' }), 'downgrade')
    expect(job.state).toBe('failed')
    const shown = `${job.message}\n\n${job.error}`
    expect(shown).toContain(`The database is at ${REV.merge}`)
    expect(shown).toMatch(/Can't locate revision identified by 'ffffffffffff'|ffffffffffff/)
    expect(await at()).toEqual([REV.merge])
  })

  it('the operator rehearses and checks drift on scratch databases', async () => {
    expect(await h.as('operator', alembic.rehearse, {})).toMatchObject({ ok: true, message: expect.stringMatching(/^Rehearsed upgrade to head, downgrade to 4d5e6f708192/) })
    expect(await h.as('operator', alembic.drift, {})).toMatchObject({ ok: true, message: `No drift: the live schema is exactly what the Alembic chain builds up to ${REV.merge}.` })
  })
})

describe('the DoR chain on a database managed by Alembic', () => {
  it('is not offered: its actions refuse or leave the target alone, and none creates kysely_migration', async () => {
    const status = await migrationStatus(h.target.db, h.state.db, dor)
    expect(status.management.headline).toBe(`Managed by Alembic (public.alembic_version): at ${REV.merge}, one head.`)
    const managed = expect.stringMatching(/^Managed by Alembic/)
    expect(await h.as('admin', chain.apply, { mode: 'all' })).toMatchObject({ ok: false, code: 'conflict', message: managed })
    expect(await h.as('admin', chain.apply, { mode: 'to', to: dor.defs[0].name })).toMatchObject({ ok: false, code: 'conflict', message: managed })
    expect(await h.as('admin', chain.dryRun, { mode: 'all' })).toMatchObject({ ok: false, code: 'conflict', message: managed })
    expect(await h.as('operator', chain.rehearse, {})).toMatchObject({ ok: false, code: 'conflict', message: managed })
    expect(await h.as('operator', chain.drift, {})).toMatchObject({ ok: false, code: 'conflict', message: managed })
    expect(await h.as('admin', chain.rollback, { name: dor.defs[0].name })).toMatchObject({ ok: false, code: 'conflict' })
    expect(await h.as('admin', chain.acknowledge, { name: dor.defs[0].name })).toMatchObject({ ok: false })
    // The replay runs the chain on an empty scratch database: the target is not touched.
    expect((await h.as('operator', chain.replay, {})).code).not.toBe('forbidden')
    expect(await kyselyTables()).toBe(false)
  })

  it('a baseline as admin is refused with the differences (the schemas differ) and recorded only when accepted', async () => {
    const refused = await h.as('admin', adoption.baseline, { to: dor.defs[0].name })
    expect(refused).toMatchObject({ ok: false, code: 'conflict', message: expect.stringMatching(/^Not recorded: the live schema differs from what the chain builds up to /) })
    expect(await kyselyTables()).toBe(false)
    const decided = await h.as('admin', adoption.decide, { decision: 'elsewhere', note: 'Alembic in the app repo' })
    expect(decided).toMatchObject({ ok: true })
    expect((await migrationStatus(h.target.db, h.state.db, dor)).management.mode).toBe('elsewhere')
    expect(await h.as('admin', adoption.decide, { decision: 'auto' })).toMatchObject({ ok: true })
    const accepted = await h.as('admin', adoption.baseline, { to: dor.defs[0].name, acceptDifferences: 'on' })
    expect(accepted).toMatchObject({ ok: true, message: expect.stringMatching(/^Baselined 1 migration up to .*, accepting \d+ differences? from the live schema/) })
    const status = await migrationStatus(h.target.db, h.state.db, dor)
    expect(status.management.mode).toBe('ours')
    expect(status.migrations[0]).toMatchObject({ state: 'applied', baseline: true })
    const audited = await listAudit(h.state.db, { action: 'migrations.baseline' })
    // Newest first: the accepted baseline, the refused one, then the first test's denials.
    expect(audited.map((a) => a.result)).toEqual(['ok', 'failed', 'denied', 'denied'])
  })
})
