import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listAudit } from '../lib/audit/audit-log'
import { targetIdentity } from '../lib/db/target-identity'
import { migrateStateDb } from '../lib/state/migrate-state'
import { type FreshDatabase, freshDatabase } from '../test/fresh-db'
import { lines, runDbadmin } from '../test/run-command'

let target: FreshDatabase
let state: FreshDatabase

beforeAll(async () => {
  ;[target, state] = await Promise.all([freshDatabase('audit_cli_target'), freshDatabase('audit_cli_state')])
  await migrateStateDb(state.db)
})
afterAll(async () => {
  await target?.drop()
  await state?.drop()
})

const env = (extra: Record<string, string> = {}) => ({ DATABASE_URL: target.url, STATE_DATABASE_URL: state.url, ...extra })

/** Audit records `daysAgo` days old, one per entry. */
async function recordsAged(daysAgo: number[], action = 'test.aged') {
  await state.db
    .insertInto('audit_log')
    .values(daysAgo.map((d) => ({ at: sql`now() - make_interval(days => ${d})`, action, result: 'ok', code: 'ok', message: `${d} days old` })))
    .execute()
}

async function agedLeft(): Promise<string[]> {
  const rows = await listAudit(state.db, { action: 'test.aged', limit: 500 })
  return rows.map((r) => r.message ?? '').sort()
}

describe('dbadmin audit prune', () => {
  it('deletes what is older than AUDIT_RETENTION_DAYS, keeps the rest, and records the prune', async () => {
    await recordsAged([1, 100, 364, 366, 400, 1000])
    const r = await runDbadmin(['audit', 'prune', '--json'], env())
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(lines(r.stdout)).toHaveLength(1)
    const out = JSON.parse(r.stdout)
    expect(out).toMatchObject({ deleted: 3, days: 365 })
    expect(new Date(out.cutoff).getTime()).toBeLessThan(Date.now() - 364 * 86_400_000)
    expect(await agedLeft()).toEqual(['1 days old', '100 days old', '364 days old'])
    expect((await listAudit(state.db, { action: 'audit.prune', limit: 1 }))[0]).toMatchObject({
      actorEmail: 'cli',
      result: 'ok',
      input: { days: 365 },
      message: expect.stringMatching(/^Deleted 3 audit records from before .* \(older than 365 days\)$/),
    })
  })

  it('--days N overrides the retention; AUDIT_RETENTION_DAYS=0 keeps everything unless --days is given', async () => {
    const kept = await runDbadmin(['audit', 'prune'], env({ AUDIT_RETENTION_DAYS: '0' }))
    expect(kept.code).toBe(0)
    expect(kept.stdout).toContain('nothing pruned')
    expect(await agedLeft()).toHaveLength(3)

    const r = await runDbadmin(['audit', 'prune', '--days=50'], env({ AUDIT_RETENTION_DAYS: '0' }))
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^Deleted 2 audit records from before .* \(older than 50 days\)\n$/)
    expect(await agedLeft()).toEqual(['1 days old'])
  })

  it.each([
    [['--days', '0'], '--days must be a whole number of days, 1 or more, not "0"'],
    [['--days', '1.5'], '--days must be a whole number of days, 1 or more, not "1.5"'],
    [['--days'], '--days needs a value (--days N)'],
    [['--older', '3'], 'unknown option --older for "dbadmin audit prune"; it takes [--days N] [--json]'],
    [['--days', '3', '--days', '4'], '--days is given twice'],
  ])('refuses %j with exit code 2 and deletes nothing', async (flags, message) => {
    await recordsAged([900])
    const r = await runDbadmin(['audit', 'prune', ...flags], env())
    expect(r.code).toBe(2)
    expect(r.stderr).toBe(`dbadmin: ${message}\n`)
    expect(await agedLeft()).toContain('900 days old')
  })

  it('deletes nothing when the prune cannot be recorded first', async () => {
    await sql`create function refuse_prune_audit() returns trigger language plpgsql as $$ begin raise exception 'audit log refused'; end $$`.execute(state.db)
    await sql`create trigger refuse_prune_audit before insert on audit_log for each row when (new.action = 'audit.prune') execute function refuse_prune_audit()`.execute(state.db)
    try {
      const r = await runDbadmin(['audit', 'prune', '--days', '30'], env())
      expect(r.code).toBe(2)
      expect(r.stderr).toContain('audit log refused')
    } finally {
      await sql`drop trigger refuse_prune_audit on audit_log`.execute(state.db)
      await sql`drop function refuse_prune_audit()`.execute(state.db)
    }
    expect(await agedLeft()).toContain('900 days old')
  })
})

describe('CLI changes fail closed', () => {
  async function refusingAudit(action: string, work: () => Promise<void>) {
    await sql`create function refuse_cli_audit() returns trigger language plpgsql as $$ begin raise exception 'audit log refused'; end $$`.execute(state.db)
    await sql`create trigger refuse_cli_audit before insert on audit_log for each row when (new.action = ${sql.lit(action)}) execute function refuse_cli_audit()`.execute(state.db)
    try {
      await work()
    } finally {
      await sql`drop trigger refuse_cli_audit on audit_log`.execute(state.db)
      await sql`drop function refuse_cli_audit()`.execute(state.db)
    }
  }

  it('migrate up applies nothing when its record cannot be written', async () => {
    await refusingAudit('migrations.apply', async () => {
      const r = await runDbadmin(['migrate', 'up'], env())
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(/^dbadmin: nothing was changed: the audit log cannot be written \(audit log refused\)/)
    })
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_tables where schemaname = 'public'`.execute(target.db)
    expect(rows[0].n).toBe(0)
  })

  it('jobs cancel cancels nothing when its record cannot be written', async () => {
    const here = await targetIdentity(target.db)
    // A queued job of this target: without the audit's refusal, cancel would mark it cancelled at once.
    const { rows } = await sql<{ id: string }>`
      insert into job (kind, queue, target_key, target_database, subject, trigger, started_by, input)
      values ('integrity.run', 'integrity-run-x', ${here.key}, ${here.database}, ${here.database}, 'cli', 'cli', '{}') returning id`.execute(state.db)
    const id = Number(rows[0].id)
    await refusingAudit('jobs.cancel', async () => {
      const r = await runDbadmin(['jobs', 'cancel', String(id)], env())
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(/^dbadmin: nothing was changed: the audit log cannot be written \(audit log refused\)/)
    })
    const job = await state.db.selectFrom('job').select(['state', 'cancel_requested']).where('id', '=', id).executeTakeFirstOrThrow()
    expect(job).toEqual({ state: 'queued', cancel_requested: false })
  })

  it('user add creates no user when its record cannot be written', async () => {
    await refusingAudit('users.create', async () => {
      const r = await runDbadmin(['user', 'add', '--email', 'unrecorded@cli.test', '--role', 'viewer'], env())
      expect(r.code).toBe(2)
      expect(r.stderr).toContain('audit log refused')
    })
    expect(await state.db.selectFrom('app_user').select('id').where('email', '=', 'unrecorded@cli.test').execute()).toEqual([])
  })
})
