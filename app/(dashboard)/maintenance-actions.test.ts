import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ActionHarness, openActionHarness } from '../../test/action-harness'
import { waitFor } from '../../test/app-sessions'
import { listAudit } from '@/lib/audit/audit-log'
import type { ActionResult } from '@/lib/auth/action-result'
import type { GuardedSpec } from '@/lib/auth/guarded-run'
import { getJob } from '@/lib/jobs/job-store'
import { getMaintenanceJob } from '@/lib/performance/maintenance-store'
import { readIndexFindings } from '@/lib/performance/index-findings'

let h: ActionHarness
let start: GuardedSpec<any, any>
let cancel: GuardedSpec<any, any>

beforeAll(async () => {
  h = await openActionHarness('maintact', async (db) => {
    await sql`create schema "ünïcode schema"`.execute(db)
    await sql`create table "ünïcode schema"."Order; DROP TABLE x;--" (id int primary key, customer int, note text)`.execute(db)
    await sql`insert into "ünïcode schema"."Order; DROP TABLE x;--" select g, g % 50, 'n' || g from generate_series(1, 2000) g`.execute(db)
    await sql`create index by_customer on "ünïcode schema"."Order; DROP TABLE x;--" (customer)`.execute(db)
    await sql`create index by_customer_again on "ünïcode schema"."Order; DROP TABLE x;--" (customer)`.execute(db)
    await sql`analyze "ünïcode schema"."Order; DROP TABLE x;--"`.execute(db)
  })
  const { wrappedSpec } = await import('@/lib/auth/action')
  const a = await import('./maintenance-actions')
  start = wrappedSpec(a.startMaintenanceAction)!
  cancel = wrappedSpec(a.cancelMaintenanceAction)!
})
afterAll(async () => {
  await (await import('@/lib/jobs/server-jobs')).stopServerJobs()
  await h?.close()
})

const SCHEMA = 'ünïcode schema'
const TABLE = 'Order; DROP TABLE x;--'

async function finished(id: number) {
  return waitFor(async () => {
    const j = await getMaintenanceJob(h.state.db, id)
    return j && !['queued', 'running'].includes(j.status) ? j : undefined
  }, 20_000, `maintenance job #${id}`)
}

function jobId(r: ActionResult<unknown>): number {
  if (!r.ok) throw new Error(`not started: ${r.message}`)
  return (r.data as { id: number }).id
}

async function indexNames(): Promise<string[]> {
  const { rows } = await sql<{ n: string }>`select indexname as n from pg_indexes where schemaname = ${SCHEMA} order by 1`.execute(h.target.db)
  return rows.map((r) => r.n)
}

describe('maintenance jobs, as every role', () => {
  it('finds the duplicate and the unused index, and the generated DROP runs as a job for an operator, not a viewer', async () => {
    const { findings } = await readIndexFindings(h.target.db, { schema: SCHEMA })
    const duplicate = findings.find((f) => f.kind === 'duplicate')
    expect(duplicate).toMatchObject({ table: TABLE, sql: expect.stringContaining('DROP INDEX CONCURRENTLY'), action: { kind: 'drop-index', schema: SCHEMA } })
    // The index it duplicates has no scans either: reported as unused (each index is reported once).
    expect(findings.filter((f) => f.kind === 'unused').map((f) => f.index)).toEqual([duplicate!.coveredBy])

    expect(await h.as('viewer', start, duplicate!.action)).toMatchObject({ ok: false, code: 'forbidden' })
    expect(await indexNames()).toHaveLength(3)
    const r = await h.as('operator', start, duplicate!.action)
    expect(r).toMatchObject({ ok: true, data: { id: expect.any(Number) } })
    const job = await finished(jobId(r))
    expect(job).toMatchObject({ status: 'succeeded', statement: expect.stringContaining('DROP INDEX CONCURRENTLY'), startedBy: h.state.users.operator.email })
    expect(await indexNames()).not.toContain(duplicate!.index)
    expect(await indexNames()).toHaveLength(2)
    const audit = await listAudit(h.state.db, { action: 'maintenance.start' })
    expect(audit.map((a) => [a.actorEmail, a.result])).toEqual(
      expect.arrayContaining([
        [h.state.users.viewer.email, 'denied'],
        [h.state.users.operator.email, 'ok'],
      ]),
    )
  })

  it('runs VACUUM (ANALYZE), ANALYZE, REINDEX and CREATE INDEX on odd names for operators and admins', async () => {
    const tasks = [
      { kind: 'vacuum', schema: SCHEMA, table: TABLE, analyze: true },
      { kind: 'analyze', schema: SCHEMA, table: TABLE },
      { kind: 'reindex', target: 'table', schema: SCHEMA, name: TABLE },
      { kind: 'create-index', schema: SCHEMA, table: TABLE, columns: ['note'] },
    ]
    for (const [i, task] of tasks.entries()) {
      expect(await h.as('viewer', start, task)).toMatchObject({ code: 'forbidden' })
      const r = await h.as(i % 2 ? 'admin' : 'operator', start, task)
      expect(r, JSON.stringify(task)).toMatchObject({ ok: true })
      expect(await finished(jobId(r))).toMatchObject({ status: 'succeeded' })
    }
    const { rows } = await sql<{ v: string | null }>`select last_vacuum::text as v from pg_stat_user_tables where schemaname = ${SCHEMA}`.execute(h.target.db)
    expect(rows[0].v).not.toBeNull()
    expect(await indexNames()).toHaveLength(3)
  })

  it('refuses bad input and unknown tables before any job is recorded', async () => {
    const before = await h.state.db.selectFrom('maintenance_job').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()
    expect(await h.as('admin', start, { kind: 'truncate', schema: SCHEMA, table: TABLE })).toMatchObject({ ok: false, code: 'invalid_input' })
    expect(await h.as('admin', start, { kind: 'vacuum', schema: SCHEMA, table: 'nope' })).toMatchObject({ ok: false, code: 'invalid_input', message: expect.stringContaining('no table') })
    expect(await h.as('admin', start, { kind: 'create-index', schema: SCHEMA, table: TABLE, columns: [] })).toMatchObject({ ok: false, code: 'invalid_input' })
    const after = await h.state.db.selectFrom('maintenance_job').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()
    expect(after.n).toBe(before.n)
  })

  it('a running job is cancelled by an operator (not a viewer), one job at a time per table', async () => {
    // A lock held elsewhere keeps VACUUM waiting, so the job is running when cancelled.
    const locker = await h.target.db.connection().execute(async (conn) => {
      await sql`begin`.execute(conn)
      await sql`lock table ${sql.id(SCHEMA, TABLE)} in access exclusive mode`.execute(conn)
      const r = await h.as('operator', start, { kind: 'vacuum', schema: SCHEMA, table: TABLE })
      expect(r).toMatchObject({ ok: true })
      const id = jobId(r)
      await waitFor(async () => (await getMaintenanceJob(h.state.db, id))?.pid ?? undefined, 10_000, 'the job to start')
      expect(await h.as('admin', start, { kind: 'analyze', schema: SCHEMA, table: TABLE })).toMatchObject({ ok: false, code: 'conflict', message: expect.stringMatching(/^Maintenance is already running on VACUUM .*: job #\d+ \(maintenance #\d+\), started by operator@test.local/) })
      expect(await h.as('viewer', cancel, { id })).toMatchObject({ ok: false, code: 'forbidden' })
      expect(await h.as('operator', cancel, { id })).toMatchObject({ ok: true })
      const job = await finished(id)
      await sql`rollback`.execute(conn)
      return job
    })
    expect(locker.status).toBe('cancelled')
    // Its job on the Jobs page says so too, once pg-boss has recorded the handler's end (a moment after the maintenance row).
    const job = await waitFor(async () => {
      const j = await getJob(h.state.db, locker.jobId!)
      return j && !['queued', 'running'].includes(j.state) ? j : undefined
    }, 20_000, `job #${locker.jobId}`)
    expect(job).toMatchObject({ kind: 'maintenance.run', state: 'cancelled', startedBy: h.state.users.operator.email })
    expect(await h.as('operator', cancel, { id: locker.id })).toMatchObject({ ok: false, code: 'conflict' })
  })
})
