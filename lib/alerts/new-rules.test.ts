import { sql } from 'kysely'
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { freshStateDb } from '../../test/state-db'
import { createDb } from '../db/connect'
import { flushQueryFailures, processQueryFailures } from '../db/query-failures'
import { targetIdentity, type TargetIdentity } from '../db/target-identity'
import { takeSample } from '../metrics/take-sample'
import { ruleNotices } from './alert-history'
import { evaluateAlerts } from './evaluate-alerts'
import { saveRuleSetting } from './rule-settings'
import { RULE_NAMES, type RuleName } from './rules'

let target: FreshDatabase
let state: Awaited<ReturnType<typeof freshStateDb>>
let identity: TargetIdentity

beforeAll(async () => {
  ;[target, state] = await Promise.all([freshDatabase('newrules_t'), freshStateDb()])
  identity = await targetIdentity(target.db)
})
afterAll(async () => {
  await Promise.all([target?.drop(), state?.drop()])
})

/** Only `rule` on, so that each test sees its own rule's changes. */
async function only(rule: RuleName) {
  for (const r of RULE_NAMES) await saveRuleSetting(state.db, identity.key, r, { enabled: r === rule }, 'admin@test.local')
}

/** One sampler step: a stored sample, then the rules on it with the target at hand. */
async function step(at?: Date) {
  const sample = await takeSample(target.db, state.db, identity.key, { tableSizes: false })
  return evaluateAlerts(state.db, identity, at ? { ...sample, takenAt: at } : sample, { target: target.db })
}

const changes = (r: Awaited<ReturnType<typeof step>>) => r.events.map((e) => [e.rule, e.kind])

describe('the rules added to the runbook five', () => {
  it('a sequence past 90 % of its maximum fires, and resolves once it is widened', async () => {
    await only('sequenceNearMax')
    await sql`create sequence "Order; DROP TABLE x;--" as integer maxvalue 100`.execute(target.db)
    await sql`select setval('"Order; DROP TABLE x;--"', 50)`.execute(target.db)
    const quiet = await step()
    expect(changes(quiet)).toEqual([])
    expect(quiet.alerts[0]).toMatchObject({ rule: 'sequenceNearMax', state: 'ok' })
    await sql`select setval('"Order; DROP TABLE x;--"', 95)`.execute(target.db)
    const fired = await step()
    expect(changes(fired)).toEqual([['sequenceNearMax', 'firing']])
    expect(fired.alerts[0].value).toBeCloseTo(94 / 99, 5)
    expect(fired.alerts[0].message).toBe('Sequence over 90 % of its maximum: 94.9 % (at or above 90.0 %).')
    await sql`alter sequence "Order; DROP TABLE x;--" as bigint maxvalue 1000000`.execute(target.db)
    expect(changes(await step())).toEqual([['sequenceNearMax', 'resolved']])
  })

  it('a monitoring login that may not see the sequences says so on the rule instead of staying silent, until granted', async () => {
    await only('sequenceNearMax')
    const role = `seq_monitor_${randomBytes(4).toString('hex')}`
    const password = randomBytes(12).toString('hex')
    const admin = createDb(inject('pgAdminUrl'), { max: 1 })
    await sql`create role ${sql.id(role)} login password ${sql.lit(password)} in role pg_monitor`.execute(admin)
    const url = new URL(target.url)
    url.username = role
    url.password = password
    const monitor = createDb(url.toString(), { max: 1 })
    try {
      await sql`create sequence "ünïcode seq" as integer maxvalue 100`.execute(target.db)
      await sql`select setval('"ünïcode seq"', 95)`.execute(target.db)
      // The sampler's step with the monitoring login reading the target.
      const stepAs = async () => evaluateAlerts(state.db, identity, await takeSample(target.db, state.db, identity.key, { tableSizes: false }), { target: monitor })
      const blind = await stepAs()
      expect(blind.alerts[0]).toMatchObject({ rule: 'sequenceNearMax', state: 'ok', value: null })
      expect(blind.alerts[0].notice).toMatch(new RegExp(`^Cannot see any of the \\d+ sequences' values as ${role}, so this rule cannot fire: grant SELECT on them`))
      // Recorded for the Alerts page, which reads the state database only.
      expect((await ruleNotices(state.db, identity.key)).get('sequenceNearMax')).toBe(blind.alerts[0].notice)

      await sql`grant select on sequence "ünïcode seq" to ${sql.id(role)}`.execute(target.db)
      const partial = await stepAs()
      expect(partial.alerts[0]).toMatchObject({ state: 'firing', value: expect.closeTo(94 / 99, 5) })
      expect(partial.alerts[0].notice).toMatch(/^Cannot see \d+ of \d+ sequences' values as .*, so those are not judged/)

      await sql`grant select on all sequences in schema public to ${sql.id(role)}`.execute(target.db)
      const seen = await stepAs()
      expect(seen.alerts[0].notice).toBeNull()
      expect((await ruleNotices(state.db, identity.key)).has('sequenceNearMax')).toBe(false)
    } finally {
      await sql`drop sequence if exists "ünïcode seq"`.execute(target.db)
      // Resolved again, so the next test starts from quiet.
      expect(changes(await step())).toEqual([['sequenceNearMax', 'resolved']])
      await monitor.destroy()
      await sql`drop owned by ${sql.id(role)}`.execute(target.db)
      await sql`drop role ${sql.id(role)}`.execute(admin)
      await admin.destroy()
    }
  })

  it('new integrity findings fire after a run that finds what the run before did not, and resolve after a clean run', async () => {
    await only('integrityNewFindings')
    expect((await step()).alerts[0]).toMatchObject({ state: 'ok', value: null })
    const run = async (count: number) => {
      const r = await state.db
        .insertInto('integrity_run')
        .values({ target_database: identity.database, target_key: identity.key, status: 'succeeded', trigger: 'manual', started_by: 't', finished_at: new Date() })
        .returning('id')
        .executeTakeFirstOrThrow()
      const f = { check: 'orphans', key: 'orphans:public.agenda_item', count }
      await state.db.insertInto('integrity_finding').values({ run_id: r.id, check: f.check, key: f.key, finding: JSON.stringify(f), count }).execute()
    }
    await run(0)
    expect(changes(await step())).toEqual([])
    await run(3)
    const fired = await step()
    expect(changes(fired)).toEqual([['integrityNewFindings', 'firing']])
    expect(fired.alerts[0]).toMatchObject({ value: 1, message: 'New integrity findings: 1 (at or above 1).' })
    // The same rows found again are no longer new.
    await run(3)
    expect(changes(await step())).toEqual([['integrityNewFindings', 'resolved']])
  })

  it("the dashboard's own failed queries fire at 5 in five minutes, and resolve when the window has passed", async () => {
    await only('dashboardQueryFailures')
    const pool = createDb(target.url, { max: 1, countFailures: true })
    const quiet = createDb(target.url, { max: 1 })
    try {
      const before = processQueryFailures()
      for (let i = 0; i < 4; i++) await expect(sql`select 1/0`.execute(pool)).rejects.toThrow('division by zero')
      // Pools that do not count (the state database's, tools') are not the dashboard's target queries.
      await expect(sql`select 1/0`.execute(quiet)).rejects.toThrow('division by zero')
      expect(processQueryFailures() - before).toBe(4)
      expect(changes(await step())).toEqual([])
      await expect(sql`select * from no_such_table`.execute(pool)).rejects.toThrow()
      // evaluateAlerts writes this process's count itself before it judges.
      const fired = await step()
      expect(changes(fired)).toEqual([['dashboardQueryFailures', 'firing']])
      expect(fired.alerts[0]).toMatchObject({ value: 5, threshold: 5 })
      const { rows } = await sql<{ last_error: string }>`select last_error from dashboard_query_failure order by minute desc limit 1`.execute(state.db)
      expect(rows[0].last_error).toBe('42P01 relation "no_such_table" does not exist')
      expect(await flushQueryFailures(state.db, identity.key)).toBe(0)
      // Six minutes on, the failures are out of the window.
      expect(changes(await step(new Date(Date.now() + 6 * 60_000)))).toEqual([['dashboardQueryFailures', 'resolved']])
    } finally {
      await Promise.all([pool.destroy(), quiet.destroy()])
    }
  })

  it('a failed backup in the catalogue fires, whoever ran it, and a successful one resolves it', async () => {
    await only('backupFailed')
    const backup = async (status: 'failed' | 'succeeded' | 'interrupted', file: string) =>
      state.db
        .insertInto('backup')
        .values({
          target_key: identity.key,
          target_database: identity.database,
          kind: 'full',
          format: 'custom',
          origin: 'manual',
          file,
          status,
          created_by: 'schedule',
          started_at: sql`now()`,
          finished_at: sql`clock_timestamp()`,
          error: status === 'failed' ? 'pg_dump: error: connection lost' : null,
        })
        .execute()
    await backup('succeeded', 'a.dump')
    expect((await step()).alerts[0]).toMatchObject({ rule: 'backupFailed', state: 'ok', value: 0 })
    await backup('failed', 'b.dump')
    const fired = await step()
    expect(changes(fired)).toEqual([['backupFailed', 'firing']])
    expect(fired.alerts[0].message).toBe('Latest backup failed: yes (at or above yes).')
    await backup('succeeded', 'c.dump')
    expect(changes(await step())).toEqual([['backupFailed', 'resolved']])
    await backup('interrupted', 'd.dump')
    expect(changes(await step())).toEqual([['backupFailed', 'firing']])
  })
})
