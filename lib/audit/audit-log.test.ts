import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { migrateStateDb } from '../state/migrate-state'
import { type AuditEntry, type AuditRecord, listAudit, listAuditActions, MAX_AUDIT_INPUT_CHARS, summarizeInput, writeAudit } from './audit-log'

describe('summarizeInput', () => {
  it('redacts password, secret, token, hash and key fields at every level', () => {
    const input = {
      email: 'a@b.c',
      password: 'p1',
      nested: {
        apiKey: 'k1',
        Token: 't1',
        inner: { passwordHash: 'h1', clientSecret: { value: 's1' }, keep: 'yes', deep: { newPassword: 'p2', n: 1 } },
      },
      list: [{ refresh_token: 't2', id: 7 }],
    }
    expect(summarizeInput(input)).toEqual({
      email: 'a@b.c',
      password: '[redacted]',
      nested: {
        apiKey: '[redacted]',
        Token: '[redacted]',
        inner: { passwordHash: '[redacted]', clientSecret: '[redacted]', keep: 'yes', deep: { newPassword: '[redacted]', n: 1 } },
      },
      list: [{ refresh_token: '[redacted]', id: 7 }],
    })
  })

  it('keeps fields that only contain "key" inside another word', () => {
    expect(summarizeInput({ primaryKey: 'id', monkey: 'yes', key: 'k', api_key: 'x' })).toEqual({
      primaryKey: 'id',
      monkey: 'yes',
      key: '[redacted]',
      api_key: '[redacted]',
    })
  })

  it('cuts objects nested deeper than four levels, so no secret survives however deep', () => {
    const deep = { a: { b: { c: { d: { e: { password: 'hunter2-deep' } } } } } }
    expect(summarizeInput(deep)).toEqual({ a: { b: { c: { d: '…' } } } })
    expect(JSON.stringify(summarizeInput(deep))).not.toContain('hunter2')
  })

  it('truncates long strings to 200 characters plus an ellipsis', () => {
    expect(summarizeInput('a'.repeat(200))).toBe('a'.repeat(200))
    expect(summarizeInput('b'.repeat(201))).toBe('b'.repeat(200) + '…')
    expect(summarizeInput({ sql: 'c'.repeat(5000) })).toEqual({ sql: 'c'.repeat(200) + '…' })
  })

  it('keeps the first 20 items of a list and counts the rest', () => {
    const twenty = Array.from({ length: 20 }, (_, i) => i)
    expect(summarizeInput(twenty)).toEqual(twenty)
    expect(summarizeInput(Array.from({ length: 25 }, (_, i) => i))).toEqual([...twenty, '… 5 more'])
    expect(summarizeInput({ ids: ['x'.repeat(300)] })).toEqual({ ids: ['x'.repeat(200) + '…'] })
  })

  it('keeps the first 50 keys of an object and counts the rest', () => {
    const wide = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${i}`, i]))
    const summary = summarizeInput({ wide }) as { wide: Record<string, unknown> }
    expect(Object.keys(summary.wide)).toHaveLength(51)
    expect(summary.wide.k49).toBe(49)
    expect(summary.wide).not.toHaveProperty('k50')
    expect(summary.wide['…']).toBe('10 more keys')
  })

  it(`stays within ${MAX_AUDIT_INPUT_CHARS} characters whatever the input`, () => {
    // 50,000 keys, 2.4 MB: once one audit row of 2.4 MB.
    const huge = Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`field_${i}`, 'v'.repeat(40)]))
    expect(JSON.stringify(huge).length).toBeGreaterThan(2_400_000)
    const inputs = [
      huge,
      { list: Array.from({ length: 20 }, () => Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'x'.repeat(300)]))) },
      Object.fromEntries(Array.from({ length: 50 }, (_, i) => ['y'.repeat(1000) + i, 'z'.repeat(1000)])),
      { a: [[['w'.repeat(5000)]]], b: 10n },
    ]
    for (const input of inputs) {
      const summary = summarizeInput(input)
      expect(JSON.stringify(summary).length).toBeLessThanOrEqual(MAX_AUDIT_INPUT_CHARS)
      expect(summary).toBeTypeOf('object')
    }
    expect(JSON.stringify(summarizeInput(huge))).toMatch(/"…":"\d+ more keys"/)
  })

  it('passes primitives through and maps null and undefined to null', () => {
    expect(summarizeInput(42)).toBe(42)
    expect(summarizeInput(false)).toBe(false)
    expect(summarizeInput(null)).toBeNull()
    expect(summarizeInput(undefined)).toBeNull()
  })
})

describe('writeAudit and listAudit', () => {
  let fresh: FreshDatabase
  const seed: (AuditEntry & { at: string })[] = [
    { at: '2026-01-01T10:00:00Z', actorEmail: 'Alice@Example.org', action: 'users.create', target: 'bob@example.org', result: 'ok', code: 'ok', message: 'created' },
    { at: '2026-01-02T10:00:00Z', actorEmail: 'alice@example.org', action: 'users.disable', target: 'carol@example.org', result: 'failed', code: 'last_admin', message: 'last admin' },
    { at: '2026-01-03T10:00:00Z', actorEmail: 'op@example.org', action: 'backups.create', target: 'dor', result: 'ok', code: 'ok', message: '100% done' },
    { at: '2026-01-04T10:00:00Z', actorEmail: 'op@example.org', action: 'checks.run', target: 'public.my_table', result: 'denied', code: 'forbidden', message: 'no' },
    { at: '2026-01-05T10:00:00Z', actorEmail: null, action: 'auth.login', target: 'mallory@example.org', result: 'failed', code: 'invalid_credentials', message: 'wrong password' },
    { at: '2026-01-06T10:00:00Z', actorEmail: 'viewer@example.org', action: 'checks.run', target: 'public.myXtable', result: 'ok', code: 'ok', message: '100X done' },
    { at: '2026-01-07T10:00:00Z', actorEmail: 'op@example.org', action: 'maintenance.vacuum_full', target: 't7', result: 'ok', code: 'ok', message: 'm7' },
    { at: '2026-01-08T10:00:00Z', actorEmail: 'op@example.org', action: 'maintenance.vacuumXfull', target: 't8', result: 'error', code: 'internal', message: 'm8' },
  ]
  const targets = (rows: AuditRecord[]) => rows.map((r) => r.target)
  const list = async (filter: Parameters<typeof listAudit>[1]) => targets(await listAudit(fresh.db, filter))

  beforeAll(async () => {
    fresh = await freshDatabase('audit')
    await migrateStateDb(fresh.db)
    for (const { at, ...entry } of seed) {
      await writeAudit(fresh.db, entry)
      await fresh.db.updateTable('audit_log').set({ at: new Date(at) }).where('target', '=', entry.target!).execute()
    }
  })
  afterAll(() => fresh?.drop())

  it('stores a summarized record and reads it back', async () => {
    await writeAudit(fresh.db, {
      actorId: '00000000-0000-4000-8000-000000000001',
      actorEmail: 'admin@example.org',
      action: 'users.reset_password',
      target: 'roundtrip',
      input: { userId: 'u1', password: 'new-secret-password' },
      result: 'ok',
      code: 'ok',
      message: 'm'.repeat(1500),
      durationMs: 12.6,
      clientIp: '10.1.2.3',
    })
    const [row] = await listAudit(fresh.db, { q: 'roundtrip' })
    expect(row.at).toBeInstanceOf(Date)
    expect(Math.abs(row.at.getTime() - Date.now())).toBeLessThan(60_000)
    expect(typeof row.id).toBe('number')
    expect({ ...row, id: 0, at: null }).toEqual({
      id: 0,
      at: null,
      actorId: '00000000-0000-4000-8000-000000000001',
      actorEmail: 'admin@example.org',
      action: 'users.reset_password',
      target: 'roundtrip',
      input: { userId: 'u1', password: '[redacted]' },
      result: 'ok',
      code: 'ok',
      message: 'm'.repeat(1000),
      durationMs: 13,
      clientIp: '10.1.2.3',
    })
    await fresh.db.deleteFrom('audit_log').where('target', '=', 'roundtrip').execute()
  })

  it('stores defaults for the optional fields', async () => {
    await writeAudit(fresh.db, { action: 'x.minimal', target: 'minimal', result: 'ok', code: 'ok', durationMs: -5 })
    const [row] = await listAudit(fresh.db, { action: 'x.minimal' })
    expect(row).toMatchObject({ actorId: null, actorEmail: null, input: null, message: null, durationMs: 0, clientIp: null })
    await fresh.db.deleteFrom('audit_log').where('target', '=', 'minimal').execute()
  })

  it('stores a NUL byte of a target, message or input (which PostgreSQL text refuses) as U+FFFD', async () => {
    await writeAudit(fresh.db, { action: 'x.nul', target: 'nul\0t', input: { 'k\0': 'v\0', list: ['\0'] }, result: 'failed', code: 'not_found', message: 'm\0' })
    const [row] = await listAudit(fresh.db, { action: 'x.nul' })
    expect(row).toMatchObject({ target: 'nul\uFFFDt', input: { 'k\uFFFD': 'v\uFFFD', list: ['\uFFFD'] }, message: 'm\uFFFD' })
    await fresh.db.deleteFrom('audit_log').where('action', '=', 'x.nul').execute()
  })

  it('lists newest first without a filter', async () => {
    expect(await list({})).toEqual(['t8', 't7', 'public.myXtable', 'mallory@example.org', 'public.my_table', 'dor', 'carol@example.org', 'bob@example.org'])
  })

  it('filters by action prefix, with _ and % taken literally', async () => {
    expect(await list({ action: 'users.' })).toEqual(['carol@example.org', 'bob@example.org'])
    expect(await list({ action: 'checks.run' })).toEqual(['public.myXtable', 'public.my_table'])
    expect(await list({ action: 'maintenance.vacuum_' })).toEqual(['t7'])
    expect(await list({ action: '%' })).toEqual([])
    expect(await list({ action: 'run' })).toEqual([])
  })

  it('filters by actor, case-insensitively and literally', async () => {
    expect(await list({ actor: 'ALICE' })).toEqual(['carol@example.org', 'bob@example.org'])
    expect(await list({ actor: 'viewer@' })).toEqual(['public.myXtable'])
    expect(await list({ actor: '%' })).toEqual([])
    expect(await list({ actor: '_' })).toEqual([])
  })

  it('filters by result', async () => {
    expect(await list({ result: 'failed' })).toEqual(['mallory@example.org', 'carol@example.org'])
    expect(await list({ result: 'error' })).toEqual(['t8'])
    expect(await list({ result: 'invalid' })).toEqual([])
  })

  it('matches q against action, target, actor and message, with % and _ taken literally', async () => {
    expect(await list({ q: 'MALLORY' })).toEqual(['mallory@example.org'])
    expect(await list({ q: 'Users.Dis' })).toEqual(['carol@example.org'])
    expect(await list({ q: 'viewer@example' })).toEqual(['public.myXtable'])
    expect(await list({ q: 'LAST ADMIN' })).toEqual(['carol@example.org'])
    expect(await list({ q: '100%' })).toEqual(['dor'])
    expect(await list({ q: '%' })).toEqual(['dor'])
    expect(await list({ q: 'my_table' })).toEqual(['public.my_table'])
    expect(await list({ q: '_' })).toEqual(['t7', 'public.my_table'])
    expect(await list({ q: '\\' })).toEqual([])
  })

  it('filters by time: since inclusive, until exclusive', async () => {
    const since = new Date('2026-01-03T10:00:00Z')
    const until = new Date('2026-01-05T10:00:00Z')
    expect(await list({ since, until })).toEqual(['public.my_table', 'dor'])
    expect(await list({ since: new Date('2026-01-07T10:00:00Z') })).toEqual(['t8', 't7'])
    expect(await list({ until: new Date('2026-01-02T10:00:00.001Z') })).toEqual(['carol@example.org', 'bob@example.org'])
  })

  it('combines filters', async () => {
    expect(await list({ actor: 'op@', result: 'ok', action: 'backups.' })).toEqual(['dor'])
    expect(await list({ actor: 'op@', q: 'vacuum', result: 'ok' })).toEqual(['t7'])
  })

  it('pages with beforeId', async () => {
    const page1 = await listAudit(fresh.db, { limit: 3 })
    expect(targets(page1)).toEqual(['t8', 't7', 'public.myXtable'])
    const page2 = await listAudit(fresh.db, { limit: 3, beforeId: page1[2].id })
    expect(targets(page2)).toEqual(['mallory@example.org', 'public.my_table', 'dor'])
    const page3 = await listAudit(fresh.db, { limit: 3, beforeId: page2[2].id })
    expect(targets(page3)).toEqual(['carol@example.org', 'bob@example.org'])
    expect(await listAudit(fresh.db, { beforeId: page3[1].id })).toEqual([])
  })

  it('lists each action once', async () => {
    const actions = await listAuditActions(fresh.db)
    // Order is by the cluster's collation; compare as a set.
    expect([...actions].sort()).toEqual(
      ['auth.login', 'backups.create', 'checks.run', 'maintenance.vacuumXfull', 'maintenance.vacuum_full', 'users.create', 'users.disable'].sort(),
    )
  })

  it('keeps limit between 1 and 500, 100 by default (runs last: adds 600 rows)', async () => {
    expect(await listAudit(fresh.db, { limit: 0 })).toHaveLength(1)
    expect(await listAudit(fresh.db, { limit: -5 })).toHaveLength(1)
    await fresh.db
      .insertInto('audit_log')
      .values(Array.from({ length: 600 }, (_, i) => ({ action: 'bulk.row', target: `b${i}`, result: 'ok', code: 'ok' })))
      .execute()
    expect(await listAudit(fresh.db)).toHaveLength(100)
    expect(await listAudit(fresh.db, { limit: 250 })).toHaveLength(250)
    expect(await listAudit(fresh.db, { limit: 1000 })).toHaveLength(500)
  })
})
