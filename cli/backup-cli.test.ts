import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rowCounts } from '../test/backup-fixture'
import { createDb, withDatabase } from '../lib/db/connect'
import { buildDemoDatabase } from '../lib/demo/prepare-demo'
import { dropDatabase } from '../lib/runtime/cluster-databases'
import { migrateStateDb } from '../lib/state/migrate-state'
import { listAudit } from '../lib/audit/audit-log'
import { type FreshDatabase, freshDatabase } from '../test/fresh-db'
import { lines, runDbadmin } from '../test/run-command'

let target: FreshDatabase
let state: FreshDatabase
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-backup-'))
const made: string[] = []
let created: { id: string; file: string; sizeBytes: number; sha256: string; status: string }

beforeAll(async () => {
  ;[target, state] = await Promise.all([freshDatabase('cli_bk_target'), freshDatabase('cli_bk_state')])
  await buildDemoDatabase(target.db)
  await migrateStateDb(state.db)
})
afterAll(async () => {
  for (const m of made) await dropDatabase(target.url, m).catch(() => {})
  await target?.drop()
  await state?.drop()
  fs.rmSync(dataDir, { recursive: true, force: true })
})

const env = () => ({ DATABASE_URL: target.url, STATE_DATABASE_URL: state.url, DATA_DIR: dataDir })
const sha = (p: string) => crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex')

describe('dbadmin backup', () => {
  it('refuses unknown flags and values with exit 2', async () => {
    const unknown = await runDbadmin(['backup', 'create', '--kindd', 'full'], env())
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toBe('dbadmin: unknown option --kindd for "dbadmin backup create"; it takes [--kind full|schema|data] [--format custom|directory|plain] [--json]\n')
    const value = await runDbadmin(['backup', 'create', '--kind', 'everything'], env())
    expect(value.code).toBe(2)
    expect(value.stderr).toBe('dbadmin: --kind must be full, schema, data, not "everything"\n')
    // Names too long for PostgreSQL: one clear line, not the job input's validation dump.
    const long = await runDbadmin(['backup', 'restore', '00000000-0000-4000-8000-000000000000', '--into', 'x'.repeat(70)], env())
    expect(long.code).toBe(2)
    expect(long.stderr).toBe('dbadmin: --into: A database name has 1 to 63 bytes.\n')
    const longTable = await runDbadmin(['backup', 'restore', '00000000-0000-4000-8000-000000000000', '--into', 'x', '--table', `public.${'ü'.repeat(40)}`], env())
    expect(longTable.code).toBe(2)
    expect(longTable.stderr).toBe('dbadmin: --table: a schema or table name has at most 63 bytes\n')
    const noId = await runDbadmin(['backup', 'verify', '--json'], env())
    expect(noId.code).toBe(2)
    expect(noId.stderr).toContain('"dbadmin backup verify" needs ID')
  })

  it('create --json prints { id, file, sizeBytes, sha256, status } on one line, and the file matches', async () => {
    const r = await runDbadmin(['backup', 'create', '--kind', 'full', '--format', 'custom', '--json'], env())
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(lines(r.stdout)).toHaveLength(1)
    created = JSON.parse(r.stdout)
    expect(Object.keys(created)).toEqual(['id', 'file', 'sizeBytes', 'sha256', 'status'])
    expect(created.status).toBe('succeeded')
    expect(created.file.startsWith(path.join(dataDir, 'backups') + path.sep)).toBe(true)
    expect(fs.statSync(created.file).size).toBe(created.sizeBytes)
    expect(sha(created.file)).toBe(created.sha256)
    expect(fs.statSync(created.file).mode & 0o777).toBe(0o600)
    // Its start (queued) by the CLI, its end by the job, both as cli.
    const audit = await listAudit(state.db, { action: 'backups.create' })
    expect(audit.map((a) => [a.action, a.actorEmail, a.result]).sort()).toEqual([
      ['backups.create', 'cli', 'ok'],
      ['backups.create.finished', 'cli', 'ok'],
    ])
    // It ran as a backup.full job (worked by this CLI process), recorded on the Jobs page too.
    const jobs = await runDbadmin(['jobs', 'list', '--kind', 'backup.full', '--json'], env())
    expect(JSON.parse(jobs.stdout).jobs).toMatchObject([{ kind: 'backup.full', state: 'succeeded', startedBy: 'cli', trigger: 'cli' }])
  })

  it('schedule set and list: the backup and drill schedules as the Jobs page keeps them; bad values change nothing', async () => {
    const set = await runDbadmin(['backup', 'schedule', 'set', 'full', '--cron', '30 1 * * *', '--timezone', 'Europe/Berlin', '--json'], env())
    expect(set.stderr).toBe('')
    expect(JSON.parse(set.stdout)).toEqual({ kind: 'backup.full', cron: '30 1 * * *', timezone: 'Europe/Berlin', enabled: true })
    const bad = await runDbadmin(['backup', 'schedule', 'set', 'full', '--cron', 'every night'], env())
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('is not a cron schedule')
    const kind = await runDbadmin(['backup', 'schedule', 'set', 'everything', '--cron', '0 2 * * *'], env())
    expect(kind.code).toBe(2)
    expect(kind.stderr).toBe('dbadmin: KIND must be full, schema, data, drill, not "everything"\n')
    const off = await runDbadmin(['backup', 'schedule', 'set', 'drill', '--off'], env())
    expect(off.stdout).toBe('backup.drill no longer runs on a schedule.\n')
    const list = await runDbadmin(['backup', 'schedule', 'list', '--json'], env())
    const rows = JSON.parse(list.stdout).schedules as { kind: string; cron: string; enabled: boolean; setBy: string }[]
    expect(rows.map((r) => r.kind)).toEqual(['backup.full', 'backup.schema', 'backup.data', 'backup.drill'])
    expect(rows[0]).toMatchObject({ cron: '30 1 * * *', enabled: true, setBy: 'cli' })
    expect(rows[3]).toMatchObject({ enabled: false, setBy: 'cli' })
    const audit = await listAudit(state.db, { action: 'jobs.schedule.save' })
    expect(audit.map((a) => a.result).sort()).toEqual(['failed', 'ok', 'ok'])
  }, 240_000)

  it('list --json has it; verify and verify --drill pass', async () => {
    const l = await runDbadmin(['backup', 'list', '--json'], env())
    expect(l.code).toBe(0)
    expect(JSON.parse(l.stdout).backups).toMatchObject([{ id: created.id, status: 'succeeded', kind: 'full', createdBy: 'cli' }])
    const v = await runDbadmin(['backup', 'verify', created.id, '--json'], env())
    expect(v.code).toBe(0)
    expect(JSON.parse(v.stdout)).toMatchObject({ id: created.id, ok: true, checksum: { ok: true, actual: created.sha256 } })
    const d = await runDbadmin(['backup', 'verify', created.id, '--drill', '--json'], env())
    expect(d.code).toBe(0)
    expect(JSON.parse(d.stdout)).toMatchObject({ backupId: created.id, ok: true, problems: [] })
  })

  it('restore --into makes a new database with the same rows; --table restores one table', async () => {
    const into = `cli_bk_copy_${Date.now().toString(36)}`
    made.push(into)
    const r = await runDbadmin(['backup', 'restore', created.id, '--into', into, '--json'], env())
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ backupId: created.id, database: into, createdDatabase: true })
    const copy = createDb(withDatabase(target.url, into), { max: 1 })
    try {
      expect(await rowCounts(copy)).toEqual(await rowCounts(target.db))
    } finally {
      await copy.destroy()
    }
    const one = `cli_bk_table_${Date.now().toString(36)}`
    made.push(one)
    const t = await runDbadmin(['backup', 'restore', created.id, '--into', one, '--table', 'public.agenda_item', '--json'], env())
    expect(t.code).toBe(0)
    const counts = await rowCounts(target.db)
    expect(JSON.parse(t.stdout)).toMatchObject({ database: one, table: { schema: 'public', table: 'agenda_item' }, rows: counts['public.agenda_item'] })
    // Quoted as on the page; a name that cannot be read stops before anything is made.
    const quoted = `cli_bk_quoted_${Date.now().toString(36)}`
    made.push(quoted)
    const q = await runDbadmin(['backup', 'restore', created.id, '--into', quoted, '--table', '"public"."meeting"', '--json'], env())
    expect(q.stderr).toBe('')
    expect(JSON.parse(q.stdout)).toMatchObject({ database: quoted, table: { schema: 'public', table: 'meeting' }, rows: counts['public.meeting'] })
    const bad = await runDbadmin(['backup', 'restore', created.id, '--into', `${quoted}_no`, '--table', 'public.a.b'], env())
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/^dbadmin: --table must be SCHEMA\.TABLE or TABLE, .* not "public\.a\.b"\n$/)
  })

  it('download --out writes the same bytes to a new 0600 file, never over an existing one', async () => {
    const out = path.join(dataDir, 'copy.dump')
    const r = await runDbadmin(['backup', 'download', created.id, '--out', out], env())
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(`Wrote ${created.sizeBytes} bytes to ${out}\n`)
    expect(sha(out)).toBe(created.sha256)
    expect(fs.statSync(out).mode & 0o777).toBe(0o600)
    const again = await runDbadmin(['backup', 'download', created.id, '--out', out], env())
    expect(again.code).toBe(2)
    expect(again.stderr).toBe(`dbadmin: ${out} exists: choose a new file\n`)
  })

  it('an id that is a path, or a damaged file, fails with exit 1', async () => {
    const path_ = await runDbadmin(['backup', 'verify', '../../etc/passwd'], env())
    expect(path_.code).toBe(1)
    expect(path_.stderr).toBe('dbadmin: No such backup.\n')
    fs.appendFileSync(created.file, 'x')
    const v = await runDbadmin(['backup', 'verify', created.id], env())
    expect(v.code).toBe(1)
    expect(v.stdout).toMatch(/^Verification failed: The file's checksum does not match/)
    expect(v.stderr).toBe(`dbadmin: backup ${created.id} failed verification\n`)
  })
})
