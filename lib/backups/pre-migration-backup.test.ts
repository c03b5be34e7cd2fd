import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { freshStateDb } from '../../test/state-db'
import { startTestJobs, testJobServices } from '../../test/test-jobs'
import { targetIdentity } from '../db/target-identity'
import { getJob } from '../jobs/job-store'
import type { JobSystem } from '../jobs/job-system'
import { createRun } from '../migrations/run-store'
import { backupDirectory } from './backup-files'
import { queuedPreMigrationBackup } from './pre-migration-backup'

let target: FreshDatabase
let state: Awaited<ReturnType<typeof freshStateDb>>
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dump-'))
const systems: JobSystem[] = []

async function jobsWith(pgBinDir?: string): Promise<JobSystem> {
  const { settings } = await testJobServices(target, state, root)
  const jobs = await startTestJobs(target, state, { workKinds: ['backup.full'], supervise: false }, { settings: { ...settings, ...(pgBinDir ? { pgBinDir } : {}) } })
  systems.push(jobs)
  return jobs
}

beforeAll(async () => {
  target = await freshDatabase('dump')
  state = await freshStateDb()
  await sql`create table secret_note (id int primary key, body text)`.execute(target.db)
  await sql`insert into secret_note values (1, 'SECRET-TOKEN-ABC123')`.execute(target.db)
})
afterAll(async () => {
  for (const s of systems) await s.stop(5_000)
  await target?.drop()
  await state?.drop()
  fs.rmSync(root, { recursive: true, force: true })
})

async function newRun(): Promise<number> {
  return createRun(state.db, { kind: 'apply', target: await targetIdentity(target.db), actor: { label: 'admin@test.local', source: 'dashboard' } })
}

describe('queuedPreMigrationBackup', () => {
  it('is a backup.full job of the queue: catalogued pre_migration with its run, 0600 in a 0700 directory, whatever the umask', async () => {
    const jobs = await jobsWith()
    const backups = backupDirectory(root)
    fs.mkdirSync(backups, { mode: 0o755 })
    fs.chmodSync(backups, 0o755)
    const umask = process.umask(0o022)
    try {
      const runId = await newRun()
      const result = await queuedPreMigrationBackup(jobs, state.db, { runId, startedBy: 'admin@test.local', dataPath: root })
      expect(result.bytes).toBeGreaterThan(0)
      expect(path.dirname(result.path)).toBe(backups)
      expect(fs.statSync(result.path).mode & 0o777).toBe(0o600)
      expect(fs.statSync(backups).mode & 0o777).toBe(0o700)
      const row = await state.db.selectFrom('backup').selectAll().where('id', '=', result.id).executeTakeFirstOrThrow()
      expect(row).toMatchObject({ origin: 'pre_migration', status: 'succeeded', kind: 'full', migration_run_id: runId, job_id: result.jobId, created_by: 'admin@test.local' })
      expect(row.sha256).toMatch(/^[0-9a-f]{64}$/)
      expect(Number(row.size_bytes)).toBe(fs.statSync(result.path).size)
      const job = await getJob(state.db, result.jobId)
      expect(job).toMatchObject({ kind: 'backup.full', state: 'succeeded', startedBy: 'admin@test.local', trigger: 'manual' })
      expect(job!.subject).toContain(`before migration run #${runId}`)
      expect(job!.message).toContain(`Pre-migration backup ${row.file} (run #${runId}) succeeded`)
    } finally {
      process.umask(umask)
      await jobs.stop(5_000)
    }
  })

  it('fails with the job\'s error when pg_dump fails, leaving no file; refuses while another backup runs', async () => {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'failing-pg-'))
    for (const tool of ['pg_dump', 'pg_restore', 'psql']) {
      fs.writeFileSync(path.join(bin, tool), '#!/bin/sh\nif [ "$1" = "--version" ]; then echo "pg_dump (PostgreSQL) 99.0"; exit 0; fi\necho "pg_dump: error: simulated failure" >&2\nexit 1\n', { mode: 0o755 })
    }
    try {
      const jobs = await jobsWith(bin)
      const before = fs.readdirSync(backupDirectory(root))
      const runId = await newRun()
      await expect(queuedPreMigrationBackup(jobs, state.db, { runId, startedBy: 'admin@test.local', dataPath: root })).rejects.toThrow(/Backup job #\d+ failed: .*simulated failure/s)
      expect(fs.readdirSync(backupDirectory(root))).toEqual(before)
      const row = await state.db.selectFrom('backup').selectAll().where('migration_run_id', '=', runId).executeTakeFirstOrThrow()
      expect(row).toMatchObject({ origin: 'pre_migration', status: 'failed' })

      // Another backup of the target holds the queue's key (queued where no worker takes it): refused at once, naming it.
      await jobs.stop(5_000)
      const idle = await startTestJobs(target, state, { work: false, supervise: false })
      systems.push(idle)
      const other = await idle.enqueue('backup.schema', {}, { startedBy: 'operator@test.local', trigger: 'manual' })
      await expect(queuedPreMigrationBackup(idle, state.db, { runId: await newRun(), startedBy: 'admin@test.local', dataPath: root })).rejects.toMatchObject({
        backupCode: 'conflict',
        message: expect.stringContaining(`job #${other.id}`),
      })
      await idle.cancel(other.id)
    } finally {
      fs.rmSync(bin, { recursive: true, force: true })
    }
  })
})
