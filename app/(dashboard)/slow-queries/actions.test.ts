import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type ActionHarness, openActionHarness } from '../../../test/action-harness'
import { listAudit } from '@/lib/audit/audit-log'
import type { GuardedSpec } from '@/lib/auth/guarded-run'
import { targetIdentity } from '@/lib/db/target-identity'
import { loadBaseline, sampleQueryStats } from '@/lib/metrics/query-stats'
import { listSlowQueries } from '@/lib/performance/slow-queries'

vi.mock('next/cache', () => ({ revalidatePath: () => {} }))

let h: ActionHarness
let reset: GuardedSpec<any, any>
let create: GuardedSpec<any, any>
let explain: GuardedSpec<any, any>

beforeAll(async () => {
  h = await openActionHarness('slowact', async (db) => {
    await sql`create table public.orders (id int primary key, customer int not null, total numeric)`.execute(db)
    await sql`insert into public.orders select g, g % 100, g * 1.5 from generate_series(1, 3000) g`.execute(db)
    await sql`analyze public.orders`.execute(db)
  })
  const { wrappedSpec } = await import('@/lib/auth/action')
  const a = await import('./actions')
  reset = wrappedSpec(a.resetStatementsAction)!
  create = wrappedSpec(a.createStatementsExtensionAction)!
  explain = wrappedSpec(a.explainAction)!
})
afterAll(() => h?.close())

async function count(): Promise<number> {
  return (await sql<{ n: number }>`select count(*)::int as n from public.orders`.execute(h.target.db)).rows[0].n
}

describe('pg_stat_statements actions, as every role', () => {
  it('CREATE EXTENSION is offered to admins only while the extension is missing', async () => {
    await sql`drop extension if exists pg_stat_statements`.execute(h.target.db)
    expect((await listSlowQueries(h.target.db)).status.state).toBe('not-created')
    for (const role of ['viewer', 'operator'] as const) expect(await h.as(role, create, {})).toMatchObject({ ok: false, code: 'forbidden' })
    expect((await listSlowQueries(h.target.db)).status.state).toBe('not-created')
    expect(await h.as('admin', create, {})).toMatchObject({ ok: true })
    expect((await listSlowQueries(h.target.db)).status.state).toBe('ready')
  })

  it('reset is for admins only, audited', async () => {
    await sql`select count(*) from public.orders where customer = ${7}`.execute(h.target.db)
    const before = await listSlowQueries(h.target.db, { search: 'public.orders' })
    expect(before.queries.length).toBeGreaterThan(0)
    const { key } = await targetIdentity(h.target.db)
    await sampleQueryStats(h.target.db, h.state.db, key)
    for (const role of ['viewer', 'operator'] as const) expect(await h.as(role, reset, {})).toMatchObject({ ok: false, code: 'forbidden' })
    expect((await listSlowQueries(h.target.db, { search: 'public.orders' })).queries.length).toBeGreaterThan(0)
    expect(await h.as('admin', reset, { queryid: 'nope' })).toMatchObject({ ok: false, code: 'invalid_input' })
    expect(await loadBaseline(h.state.db, key)).not.toBeNull()
    expect(await h.as('admin', reset, {})).toMatchObject({ ok: true })
    expect((await listSlowQueries(h.target.db, { search: 'public.orders' })).queries).toEqual([])
    // A database's reset leaves stats_reset alone: the query-stats history starts again from its next reading.
    expect(await loadBaseline(h.state.db, key)).toBeNull()
    const audit = await listAudit(h.state.db, { action: 'statements.reset' })
    expect(audit.map((a) => a.result).sort()).toEqual(['denied', 'denied', 'invalid', 'ok'])
  })
})

describe('EXPLAIN from the Slow queries page', () => {
  it('shows every role a plan, with parameters or the generic one', async () => {
    for (const role of ['viewer', 'operator', 'admin'] as const) {
      const generic = await h.as(role, explain, { statement: 'select * from public.orders where customer = $1' })
      expect(generic, role).toMatchObject({ ok: true, data: { mode: 'generic', parameterTypes: ['integer'], plan: { analyzed: false } } })
    }
    const custom = await h.as('viewer', explain, { statement: 'select * from public.orders where id = $1', params: ['42'] })
    expect(custom).toMatchObject({ ok: true, data: { mode: 'custom' } })
  })

  it('runs EXPLAIN ANALYZE of a SELECT for operators, not for viewers', async () => {
    const statement = 'select customer, count(*) from public.orders group by customer'
    expect(await h.as('viewer', explain, { statement, analyze: true })).toMatchObject({ ok: false, code: 'forbidden' })
    const r = await h.as('operator', explain, { statement, analyze: true })
    expect(r).toMatchObject({ ok: true, data: { mode: 'analyze', plan: { analyzed: true, executionMs: expect.any(Number) } } })
  })

  it('refuses EXPLAIN ANALYZE of a statement that writes, and changes nothing', async () => {
    const n = await count()
    expect(await h.as('admin', explain, { statement: 'delete from public.orders', analyze: true })).toMatchObject({ ok: false, code: 'refused' })
    for (const statement of [
      'delete from public.orders',
      'with gone as (delete from public.orders returning *) select count(*) from gone',
      'select * into public.copy from public.orders',
      'select 1; delete from public.orders',
    ]) {
      const r = await h.as('admin', explain, { statement, analyze: true })
      expect(r, statement).toMatchObject({ ok: false })
      // Refused by the text or plan check, or by the reader role, which may not write: never run.
      expect(['refused', 'invalid_input', 'not_permitted'], `${statement}: ${r.code} ${r.message}`).toContain(r.code)
    }
    expect(await count()).toBe(n)
    expect(await h.as('admin', explain, { statement: '' })).toMatchObject({ ok: false, code: 'invalid_input' })
  })
})
