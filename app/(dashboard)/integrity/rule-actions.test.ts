import { targetIdentity } from '@/lib/db/target-identity'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest'
import { type ActionHarness, openActionHarness } from '../../../test/action-harness'
import { userObjects } from '../../../test/user-objects'
import type { GuardedSpec } from '@/lib/auth/guarded-run'
import { listAudit } from '@/lib/audit/audit-log'
import { createDb } from '@/lib/db/connect'
import { DEFAULT_READER_ROLE } from '@/lib/db/reader-login'
import { buildDemoDatabase } from '@/lib/demo/prepare-demo'
import { listCustomRules } from '@/lib/integrity/custom-rules'
import { getIntegrityRun, runFindings } from '@/lib/integrity/run-store'

// revalidatePath needs a Next request; here the actions run in plain Node.
vi.mock('next/cache', () => ({ revalidatePath: () => {} }))

/**
 * The rule actions through the wrapper, as every role, on a target reached as a superuser with no
 * RULE_READER_DATABASE_URL: the dashboard makes its own reader, as on the demo.
 */

let h: ActionHarness
let save: GuardedSpec<any, any>
let remove: GuardedSpec<any, any>
let run: GuardedSpec<any, any>

beforeAll(async () => {
  h = await openActionHarness('ruleacts', buildDemoDatabase)
  const { wrappedSpec } = await import('@/lib/auth/action')
  const mod = { ...(await import('./rule-actions')), ...(await import('./run-actions')) }
  save = wrappedSpec(mod.saveRuleAction)!
  remove = wrappedSpec(mod.deleteRuleAction)!
  run = wrappedSpec(mod.runChecksAction)!
})
afterAll(async () => {
  await h?.close()
  const cluster = createDb(inject('pgAdminUrl'), { max: 1 })
  await sql`drop role if exists ${sql.id(DEFAULT_READER_ROLE)}`.execute(cluster)
  await cluster.destroy()
})

const rule = (name: string, query: string) => ({ name, query, description: '', enabled: 'on' })

async function waitForRun(id: number) {
  for (let i = 0; i < 600; i++) {
    const r = await getIntegrityRun(h.state.db, id)
    if (r && !['queued', 'running'].includes(r.status)) return r
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`run ${id} did not finish`)
}

describe('saving and deleting rules', () => {
  it('is for admins only', async () => {
    for (const role of ['operator', 'viewer'] as const) {
      expect(await h.as(role, save, rule('Nope', 'select 1'))).toMatchObject({ ok: false, code: 'forbidden' })
      expect(await h.as(role, remove, { id: 1 })).toMatchObject({ ok: false, code: 'forbidden' })
    }
    expect(await listCustomRules(h.state.db, (await targetIdentity(h.target.db)).key)).toEqual([])
  })

  it('saves a rule that reads, and an integrity run counts its rows', async () => {
    const saved = await h.as('admin', save, rule('Meetings ending before they start', 'select id, title from meeting where end_time < start_time'))
    expect(saved).toMatchObject({ ok: true, message: expect.stringMatching(/^Rule "Meetings ending before they start" saved; it finds [1-9]\d* rows? now\.$/) })
    const started = await h.as('operator', run, {})
    const runId = (started as { data: { runId: number } }).data.runId
    expect(await waitForRun(runId)).toMatchObject({ status: 'succeeded' })
    const [mine] = (await runFindings(h.state.db, runId)).filter((f) => f.detail?.custom === true)
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from meeting where end_time < start_time`.execute(h.target.db)
    expect([mine.title, mine.count, mine.error]).toEqual(['Meetings ending before they start', rows[0].n, undefined])
  })

  it('refuses every escape with PostgreSQL’s first line, audits no more, and leaves the target as it was', async () => {
    const objects = await userObjects(h.target.db)
    const meetings = async () => (await sql<{ n: number }>`select count(*)::int as n from meeting`.execute(h.target.db)).rows[0].n
    const count = await meetings()
    const tries: [string, string][] = [
      ["select 1) x; COMMIT; CREATE TABLE escaped (id int); SELECT 1 FROM (select 1", 'syntax error at or near ";"'],
      ['select 1) a) b; COMMIT; DELETE FROM meeting; SELECT 1 FROM (select 1 from (select 1', 'cannot insert multiple commands into a prepared statement'],
      ["select cast(pg_read_file('postgresql.conf') as int)", 'permission denied for function pg_read_file'],
      ["select lo_import('/etc/passwd')", 'permission denied for function lo_import'],
      [`select cast(E'first line\\nsecond line' || repeat('z', 2000) as int)`, 'invalid input syntax for type integer: "first line'],
      // The reader's pg_read_all_data could read them: refused from the plan before the rule runs.
      [
        'select rolname, rolpassword from pg_authid',
        'The query reads pg_catalog.pg_authid, which PUBLIC may not read: rules read table data only. Views over it (pg_roles, pg_stat_activity, information_schema’s privilege views) read it too: pg_get_userbyid(oid) gives a role’s name.',
      ],
      ["select query_to_xml('select rolpassword from pg_authid', true, false, '')", "The query calls query_to_xml, which reads data outside the query's plan: rules read table data only."],
    ]
    for (const [query, message] of tries) {
      const result = await h.as('admin', save, rule('Escape', query))
      // The reason is also the query field's own error, shown next to it (and cut the same way).
      expect(result, query).toEqual({ ok: false, code: 'invalid_input', message: `The query does not run: ${message}`, fieldErrors: { query: message } })
    }
    const long = await h.as('admin', save, rule('Escape', `select cast(repeat('y', 2000) as int)`))
    expect(long.message).toMatch(/^The query does not run: invalid input syntax for type integer: "y+…$/)
    expect(long.message.length).toBe('The query does not run: '.length + 300)

    const audited = await listAudit(h.state.db, { action: 'integrity.rule.save', result: 'failed' })
    expect(audited).toHaveLength(tries.length + 1)
    for (const a of audited) {
      expect(a.message).not.toContain('\n')
      expect(a.message!.length).toBeLessThanOrEqual('The query does not run: '.length + 300)
    }
    expect(await userObjects(h.target.db)).toEqual(objects)
    expect(await meetings()).toBe(count)
    expect((await listCustomRules(h.state.db, (await targetIdentity(h.target.db)).key)).map((r) => r.name)).toEqual(['Meetings ending before they start'])
  })

  it('deletes a rule, and says when there is none', async () => {
    const [mine] = await listCustomRules(h.state.db, (await targetIdentity(h.target.db)).key)
    expect(await h.as('admin', remove, { id: mine.id })).toMatchObject({ ok: true, message: 'Rule deleted.' })
    expect(await h.as('admin', remove, { id: mine.id })).toMatchObject({ ok: false, code: 'not_found' })
  })
})
