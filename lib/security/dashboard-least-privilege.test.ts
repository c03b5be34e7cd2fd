import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import { promisify } from 'node:util'
import { CompiledQuery, type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest'
import { type ActionHarness, openActionHarness } from '../../test/action-harness'
import type { GuardedSpec } from '../auth/guarded-run'
import { createDb } from '../db/connect'
import { pgToolEnv } from '../db/pg-tool-env'
import { buildDemoDatabase } from '../demo/prepare-demo'
import { getFixJob } from '../integrity/fix-store'
import { getIntegrityRun, runFindings } from '../integrity/run-store'
import { CAPABILITIES, type Capability, type LeastPrivilegeScript, applyLeastPrivilege, capabilityUrl } from './least-privilege'

// revalidatePath needs a Next request; here the actions run in plain Node.
vi.mock('next/cache', () => ({ revalidatePath: () => {} }))

/**
 * The dashboard on the DoR demo after the generated least-privilege script: every capability has
 * its own login (MONITOR_, MIGRATOR_, BACKUP_, MAINTENANCE_, RULE_READER_DATABASE_URL) and
 * DATABASE_URL is the monitoring login too, so that no superuser and no owner is left anywhere.
 * Every page's data loader and every job works, each as its own role, and each login is refused
 * what it should not do.
 */
const sfx = randomBytes(3).toString('hex')
const PREFIX = `lpd${sfx}`
const PASSWORDS: Record<Capability, string> = {
  monitoring: 'lpd-monitor-pass-1',
  rule_reading: 'lpd-reader-pass-1',
  migration: 'lpd-migrator-pass-1',
  backup: 'lpd-backup-pass-1',
  maintenance: 'lpd-maintainer-pass-1',
  signalling: 'lpd-signaller-pass-1',
}

let h: ActionHarness
let script: LeastPrivilegeScript
const urls = {} as Record<Capability, string>
const login = (c: Capability) => `${PREFIX}_${{ monitoring: 'monitor', rule_reading: 'rule_reader', migration: 'migrator', backup: 'backup_runner', maintenance: 'maintainer', signalling: 'signaller' }[c]}`

let dbs: typeof import('../db/server-dbs')
let env: ReturnType<typeof import('../runtime/server-env').serverEnv>
let specs: Record<'apply' | 'rehearse' | 'run' | 'rule' | 'fix' | 'restore' | 'validate' | 'reveal' | 'snapshot' | 'cancel' | 'terminate', GuardedSpec<any, any>>

beforeAll(async () => {
  h = await openActionHarness('lpdash', buildDemoDatabase)
  script = await applyLeastPrivilege(h.target.db, { prefix: PREFIX, passwords: PASSWORDS })
  for (const c of script.capabilities) urls[c.capability] = capabilityUrl(h.target.url, c)
  // No superuser, no owner: DATABASE_URL is the monitoring login as well.
  Object.assign(process.env, {
    DBADMIN_TARGET_URL: urls.monitoring,
    MONITOR_DATABASE_URL: urls.monitoring,
    MIGRATOR_DATABASE_URL: urls.migration,
    BACKUP_DATABASE_URL: urls.backup,
    MAINTENANCE_DATABASE_URL: urls.maintenance,
    SIGNAL_DATABASE_URL: urls.signalling,
    RULE_READER_DATABASE_URL: urls.rule_reading,
  })
  dbs = await import('../db/server-dbs')
  env = (await import('../runtime/server-env')).serverEnv()
  const { wrappedSpec } = await import('../auth/action')
  const migrations = await import('@/app/(dashboard)/migrations/actions')
  const integrity = {
    ...(await import('@/app/(dashboard)/integrity/run-actions')),
    ...(await import('@/app/(dashboard)/integrity/rule-actions')),
    ...(await import('@/app/(dashboard)/integrity/fix-actions')),
    ...(await import('@/app/(dashboard)/integrity/constraint-actions')),
  }
  const schema = await import('@/app/(dashboard)/schema/actions')
  const snapshots = await import('@/app/(dashboard)/schema/snapshots/actions')
  const activity = await import('@/app/(dashboard)/activity/actions')
  specs = {
    apply: wrappedSpec(migrations.applyMigrationsAction)!,
    rehearse: wrappedSpec(migrations.rehearseAction)!,
    run: wrappedSpec(integrity.runChecksAction)!,
    rule: wrappedSpec(integrity.saveRuleAction)!,
    fix: wrappedSpec(integrity.fixOrphansAction)!,
    restore: wrappedSpec(integrity.restoreFixAction)!,
    validate: wrappedSpec(integrity.validateConstraintAction)!,
    reveal: wrappedSpec(schema.revealPreviewAction)!,
    snapshot: wrappedSpec(snapshots.takeSnapshotAction)!,
    cancel: wrappedSpec(activity.cancelSessionAction)!,
    terminate: wrappedSpec(activity.terminateSessionAction)!,
  }
})

afterAll(async () => {
  for (const k of ['MONITOR_DATABASE_URL', 'MIGRATOR_DATABASE_URL', 'BACKUP_DATABASE_URL', 'MAINTENANCE_DATABASE_URL', 'SIGNAL_DATABASE_URL', 'RULE_READER_DATABASE_URL']) delete process.env[k]
  await h?.close()
  const admin = createDb(inject('pgAdminUrl'), { max: 1 })
  try {
    for (const c of script?.capabilities ?? []) {
      for (const r of [c.login, c.role]) await admin.executeQuery(CompiledQuery.raw(`drop role if exists "${r}"`))
    }
  } finally {
    await admin.destroy()
  }
})

/** The SQLSTATE a statement fails with, or 'ok'. */
async function outcome(db: Kysely<any>, text: string): Promise<string> {
  try {
    await db.executeQuery(CompiledQuery.raw(text))
    return 'ok'
  } catch (e) {
    return (e as { code?: string }).code ?? String(e)
  }
}

async function waitFor<T>(read: () => Promise<T | null>, done: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const v = await read()
    if (v && done(v)) return v
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error('did not finish')
}

describe('the dashboard’s logins after the least-privilege script', () => {
  it('each capability logs in as its own role, none a superuser or the owner', async () => {
    const { sessionRole } = await import('../db/session-role')
    const { connectionRisk } = await import('./connection-risk')
    const pools = { monitor: dbs.targetDb(), migrator: dbs.migratorDb(), backup: dbs.dataReaderDb(), maintenance: dbs.maintenanceDb() }
    expect(await sessionRole(pools.monitor)).toEqual({ login: login('monitoring'), actingAs: login('monitoring') })
    // The migrator acts as the owning role, so that what migrations create belongs to it.
    expect(await sessionRole(pools.migrator)).toEqual({ login: login('migration'), actingAs: `${PREFIX}_migration` })
    expect(await sessionRole(pools.backup)).toEqual({ login: login('backup'), actingAs: login('backup') })
    expect(await sessionRole(pools.maintenance)).toEqual({ login: login('maintenance'), actingAs: login('maintenance') })
    expect(await sessionRole(dbs.signalDb())).toEqual({ login: login('signalling'), actingAs: login('signalling') })
    for (const [c, db] of Object.entries(pools)) {
      expect((await connectionRisk(db, env.capabilities[c as keyof typeof pools])).warnings, c).toEqual([])
    }
  })
})

describe('every page’s data loader, with the login the page uses', () => {
  it('overview and health (monitor): counts become estimates, since it reads no table data', async () => {
    const { getOverview } = await import('../overview/overview')
    const { getDatabaseHealth } = await import('../health/database-health')
    const o = await getOverview(dbs.targetDb())
    expect(o.dorTables.map((t) => t.table)).toEqual(expect.arrayContaining(['user', 'meeting', 'agenda_item', 'fileupload']))
    expect(o.dorTables.every((t) => !t.exact && t.rows > 0)).toBe(true)
    expect((await getDatabaseHealth(dbs.targetDb())).connections.total).toBeGreaterThan(0)
  })

  it('schema list, table page, types, foreign key graph, schema model and snapshots (monitor)', async () => {
    const { listRelations } = await import('../schema/relation-list')
    const { readRelationDetail } = await import('../schema/relation-detail')
    const { queryEnums, querySequences, querySchemas } = await import('../schema/catalog-types-queries')
    const { readForeignKeyGraph } = await import('../schema/delete-impact')
    const { readSchemaModel } = await import('../schema/catalog')
    const db = dbs.targetDb()
    expect((await listRelations(db, {})).total).toBeGreaterThan(4)
    const detail = await readRelationDetail(db, 'public', 'meeting')
    expect(detail?.relation.columns.map((c) => c.name)).toContain('title')
    expect((await queryEnums(db, false)).map((e) => e.name)).toContain('userrole')
    expect((await querySequences(db, false)).length).toBeGreaterThan(0)
    expect((await querySchemas(db, false)).map((s) => s.name)).toContain('public')
    expect((await readForeignKeyGraph(db)).length).toBeGreaterThan(0)
    const model = await readSchemaModel(db)
    expect(model.relations.map((r) => r.name)).toEqual(expect.arrayContaining(['user', 'meeting']))
    // Sequence values are data: the monitor says so instead of failing.
    expect(model.limitations).toEqual([expect.stringMatching(/^\d+ sequences not readable by this role/)])
    const snap = await h.as('operator', specs.snapshot, {})
    expect(snap).toMatchObject({ ok: true })
  })

  it('data preview and DDL (backup login); the monitor cannot read rows', async () => {
    const { readRelationDetail } = await import('../schema/relation-detail')
    const { previewRows } = await import('../schema/preview')
    const { tableDdl } = await import('../schema/table-ddl')
    const rel = (await readRelationDetail(dbs.targetDb(), 'public', 'meeting'))!.relation
    expect((await previewRows(dbs.dataReaderDb(), rel)).rows.length).toBeGreaterThan(0)
    await expect(previewRows(dbs.targetDb(), rel)).rejects.toMatchObject({ code: '42501' })
    const ddl = await tableDdl(env.capabilities.backup, rel, env.pgBinDir)
    expect(ddl.source).toBe('pg_dump')
    expect(ddl.ddl).toContain('CREATE TABLE public.meeting')
    const revealed = await h.as('admin', specs.reveal, { schema: 'public', name: 'user' })
    expect(revealed).toMatchObject({ ok: true })
  })

  it('migrations page: status and other tools’ history (migrator), run lock and leftovers (monitor)', async () => {
    const { migrationStatus } = await import('../migrations/status')
    const { dorMigrationSet } = await import('../migrations/registry')
    const { runLockHeld, orphanedMigrationSessions } = await import('../migrations/run-lock')
    const { listScratchDatabases } = await import('../migrations/scratch-database')
    const { readForeignHistories } = await import('../migrations/foreign-history')
    const set = await dorMigrationSet()
    const status = await migrationStatus(dbs.migratorDb(), h.state.db, set)
    expect(status.pending).toEqual([set.defs.at(-1)!.name])
    expect(await runLockHeld(env.capabilities.monitor)).toBe(false)
    expect(await orphanedMigrationSessions(env.capabilities.monitor)).toEqual([])
    expect(await listScratchDatabases(env.capabilities.monitor)).toEqual([])
    expect(await readForeignHistories(dbs.migratorDb(), set.table)).toEqual([])
    // The migration table holds data: the monitor may not read it.
    await expect(migrationStatus(dbs.targetDb(), h.state.db, set)).rejects.toMatchObject({ code: '42501' })
  })

  it('integrity pages: relations and suggestions (monitor), orphan counts and samples (backup login)', async () => {
    const { foreignKeyRelations } = await import('../integrity/foreign-key-relations')
    const { suggestRelations } = await import('../integrity/relation-suggestions')
    const { relationsToCheck } = await import('../integrity/relations')
    const { planFix } = await import('../integrity/fix-orphans')
    const { sampleOrphans } = await import('../integrity/orphans')
    const known = await foreignKeyRelations(dbs.targetDb())
    await suggestRelations(dbs.targetDb(), known)
    const rel = (await relationsToCheck(dbs.targetDb(), h.state.db)).find((r) => r.table === 'fileupload' && r.refTable === 'agenda_item')!
    const plan = await planFix(dbs.dataReaderDb(), rel)
    expect(plan.count).toBeGreaterThan(0)
    expect((await sampleOrphans(dbs.dataReaderDb(), rel, plan.keyColumns, 5)).rows.length).toBeGreaterThan(0)
  })
})

describe('every job, as its capability', () => {
  it('applies the pending migration as the migrator, after a pg_dump backup as the backup login', async () => {
    const { listRuns } = await import('../migrations/run-store')
    const { targetIdentity } = await import('../db/target-identity')
    const result = await h.as('admin', specs.apply, { mode: 'all', backup: 'on' })
    expect(result).toMatchObject({ ok: true })
    const [run] = await listRuns(h.state.db, { targetKey: (await targetIdentity(dbs.targetDb())).key, limit: 1 })
    expect(run).toMatchObject({ kind: 'apply', status: 'succeeded', dbRole: `${login('migration')} (as ${PREFIX}_migration)` })
    expect(fs.existsSync(run.backupPath!)).toBe(true)
    const { stdout } = await promisify(execFile)(`${env.pgBinDir}/pg_restore`, ['--list', run.backupPath!])
    expect(stdout).toContain('TABLE DATA public meeting')
    // What the migration created belongs to the owning role, not to the login.
    const { rows } = await sql<{ owner: string }>`
      select distinct pg_get_userbyid(c.relowner)::text as owner from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relkind = 'r'
    `.execute(h.target.db)
    expect(rows.map((r) => r.owner)).toEqual([`${PREFIX}_migration`])
  })

  it('saves a custom rule as the rule reader and runs the integrity checks as the backup login, none failing for want of a right', async () => {
    const rule = await h.as('admin', specs.rule, { name: 'lp meetings without title', query: `select id from meeting where title = ''`, enabled: 'on' })
    expect(rule).toMatchObject({ ok: true })
    const started = await h.as('operator', specs.run, {})
    expect(started).toMatchObject({ ok: true })
    const runId = (started as { data: { runId: number } }).data.runId
    const run = await waitFor(() => getIntegrityRun(h.state.db, runId), (r) => !['queued', 'running'].includes(r.status))
    expect(run).toMatchObject({ status: 'succeeded', dbRole: login('backup') })
    const findings = await runFindings(h.state.db, runId)
    expect(findings.filter((f) => f.error).map((f) => `${f.title}: ${f.error}`)).toEqual([])
    expect(findings.some((f) => f.check === 'rule' && f.title.includes('lp meetings without title'))).toBe(true)
    expect(findings.some((f) => f.check === 'orphans' && (f.count ?? 0) > 0)).toBe(true)
  })

  it('fixes orphans and restores them as the migrator; validating a constraint runs as it too', async () => {
    const uploads = { schema: 'public', table: 'fileupload', columns: 'agenda_item_id', refSchema: 'public', refTable: 'agenda_item', refColumns: 'id' }
    const { planFix } = await import('../integrity/fix-orphans')
    const { relationsToCheck } = await import('../integrity/relations')
    const rel = (await relationsToCheck(dbs.targetDb(), h.state.db)).find((r) => r.table === 'fileupload' && r.refTable === 'agenda_item')!
    const n = (await planFix(dbs.dataReaderDb(), rel)).count
    const fixed = await h.as('admin', specs.fix, { ...uploads, mode: 'set_null', confirm: `SET NULL ${n}` })
    expect(fixed).toMatchObject({ ok: true })
    const fixId = (fixed as { data: { fixId: number } }).data.fixId
    expect(await waitFor(() => getFixJob(h.state.db, fixId), (j) => !['queued', 'running'].includes(j.status))).toMatchObject({
      status: 'succeeded',
      changed: n,
      dbRole: `${login('migration')} (as ${PREFIX}_migration)`,
    })
    const restored = await h.as('admin', specs.restore, { fixId })
    expect(restored).toMatchObject({ ok: true })
    const restoreId = (restored as { data: { restoreId: number } }).data.restoreId
    expect(await waitFor(() => getFixJob(h.state.db, restoreId), (j) => !['queued', 'running'].includes(j.status))).toMatchObject({ status: 'succeeded', changed: n })

    // The demo's NOT VALID key has violating rows: PostgreSQL refuses for that, not for a missing right.
    const validated = await h.as('operator', specs.validate, { schema: 'public', table: 'meeting_attendee', name: 'meeting_attendee_user_id_fkey' })
    expect(validated).toMatchObject({ ok: false, code: 'validation_failed', message: expect.stringMatching(/violates foreign key constraint/) })
  })

  it('runs VACUUM (ANALYZE) and REINDEX as the maintenance login', async () => {
    const { runMaintenance } = await import('../performance/maintenance')
    expect(await runMaintenance(dbs.maintenanceDb(), { kind: 'vacuum', schema: 'public', table: 'meeting', analyze: true })).toMatchObject({ status: 'done' })
    expect(await runMaintenance(dbs.maintenanceDb(), { kind: 'reindex', target: 'table', schema: 'public', name: 'meeting' })).toMatchObject({ status: 'done' })
  })

  it('Activity: Cancel (operator, admin) and Terminate (admin) work on the signalling login; a viewer is refused', async () => {
    const { AppSessions, waitFor: until } = await import('../../test/app-sessions')
    // An application's session: the migrator's login is no superuser, as DoR's own login would be after the script.
    const app = new AppSessions(urls.migration)
    try {
      const sleeper = await app.open('dor-app')
      const active = () => until(async () => (await sql<{ state: string }>`select state from pg_stat_activity where pid = ${sleeper.pid}::int`.execute(h.target.db)).rows[0]?.state === 'active', 10_000, 'the sleeper')
      let running = app.start(sleeper, 'select pg_sleep(60)')
      await active()
      expect(await h.as('viewer', specs.cancel, { pid: sleeper.pid })).toMatchObject({ ok: false, code: 'forbidden' })
      expect(await h.as('operator', specs.cancel, { pid: sleeper.pid })).toMatchObject({ ok: true, message: expect.stringContaining('cancel its statement') })
      expect(await running).toMatchObject({ ok: false, code: '57014' })
      running = app.start(sleeper, 'select pg_sleep(60)')
      await active()
      expect(await h.as('admin', specs.cancel, { pid: sleeper.pid })).toMatchObject({ ok: true })
      expect(await running).toMatchObject({ ok: false, code: '57014' })
      running = app.start(sleeper, 'select pg_sleep(60)')
      await active()
      expect(await h.as('operator', specs.terminate, { pid: sleeper.pid })).toMatchObject({ ok: false, code: 'forbidden' })
      expect(await h.as('admin', specs.terminate, { pid: 'x' })).toMatchObject({ ok: false, code: 'invalid_input' })
      expect(await h.as('admin', specs.terminate, { pid: sleeper.pid })).toMatchObject({ ok: true, message: expect.stringContaining('terminated') })
      expect((await running).ok).toBe(false)
      // The monitoring login the page reads with holds no pg_signal_backend: before SIGNAL_DATABASE_URL, Cancel was refused here.
      const { cancelBackend } = await import('../performance/signal-backend')
      const other = await app.open('dor-app')
      expect(await cancelBackend(dbs.targetDb(), other.pid)).toMatchObject({ ok: false, code: 'not-permitted' })
    } finally {
      await app.closeAll()
    }
  })

  it('scratch-database checks say what the migrator lacks (CREATEDB) instead of failing obscurely', async () => {
    const r = await h.as('operator', specs.rehearse, {})
    expect(r).toMatchObject({ ok: false, code: 'unavailable', message: expect.stringMatching(/permission denied to create database/) })
  })
})

describe('each login is refused what it should not do', () => {
  const as = (c: Capability) => createDb(urls[c], { max: 1 })
  let logins: Record<Capability, Kysely<any>>
  beforeAll(() => {
    logins = { monitoring: as('monitoring'), rule_reading: as('rule_reading'), migration: as('migration'), backup: as('backup'), maintenance: as('maintenance'), signalling: as('signalling') }
  })
  afterAll(async () => {
    await Promise.all(Object.values(logins).map((d) => d.destroy()))
  })

  it('the monitor reads no table data and writes nothing', async () => {
    expect(await outcome(logins.monitoring, `select email from public."user" limit 1`)).toBe('42501')
    expect(await outcome(logins.monitoring, `select * from public.kysely_migration`)).toBe('42501')
    expect(await outcome(logins.monitoring, `insert into public.meeting (title) values ('x')`)).toBe('42501')
    expect(await outcome(logins.monitoring, `select pg_read_file('PG_VERSION')`)).toBe('42501')
  })

  it('the rule reader and the backup login read, and cannot write or reach server files', async () => {
    for (const c of ['rule_reading', 'backup'] as const) {
      const db = logins[c]
      expect(await outcome(db, `select email from public."user" limit 1`), c).toBe('ok')
      expect(await outcome(db, `insert into public.meeting (title) values ('x')`), c).toBe('42501')
      expect(await outcome(db, `update public."user" set email = email`), c).toBe('42501')
      expect(await outcome(db, `delete from public.fileupload`), c).toBe('42501')
      expect(await outcome(db, `create table public.sneaky (id integer)`), c).toBe('42501')
      expect(await outcome(db, `select pg_read_file('PG_VERSION')`), c).toBe('42501')
      expect(await outcome(db, `copy public.meeting to '/tmp/lpd-${sfx}.csv'`), c).toBe('42501')
    }
    const { stderr } = await promisify(execFile)(`${env.pgBinDir}/pg_dump`, ['--schema-only'], { env: pgToolEnv(urls.backup) })
    expect(stderr).toBe('')
  })

  it('only the signaller holds pg_signal_backend, and it reads no data and writes nothing', async () => {
    for (const c of CAPABILITIES) {
      const { rows } = await sql<{ signal: boolean }>`select pg_has_role(session_user, 'pg_signal_backend', 'MEMBER') as signal`.execute(logins[c])
      expect(rows[0].signal, c).toBe(c === 'signalling')
    }
    expect(await outcome(logins.signalling, `select email from public."user" limit 1`)).toBe('42501')
    expect(await outcome(logins.signalling, `insert into public.meeting (title) values ('x')`)).toBe('42501')
    expect(await outcome(logins.signalling, `select pg_read_file('PG_VERSION')`)).toBe('42501')
  })

  it('the migrator and the maintainer are no superusers: no roles, no server files, no server settings', async () => {
    for (const c of ['migration', 'maintenance'] as const) {
      expect(await outcome(logins[c], `create role sneaky_${sfx}`), c).toBe('42501')
      expect(await outcome(logins[c], `select pg_read_file('PG_VERSION')`), c).toBe('42501')
      expect(await outcome(logins[c], `alter system set work_mem = '8MB'`), c).toBe('42501')
      expect(await outcome(logins[c], `create database sneaky_${sfx}`), c).toBe('42501')
    }
  })
})
