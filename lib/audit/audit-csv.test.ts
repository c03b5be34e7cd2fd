import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshStateDb } from '../../test/state-db'
import { formulaSafe } from '../format/csv-formula'
import { auditCsvStream } from './audit-csv'
import { pruneAudit } from './audit-retention'

/** RFC 4180 as a spreadsheet reads it: quoted fields may hold commas, quotes, CR and LF. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"'
        i++
      } else if (c === '"') quoted = false
      else field += c
    } else if (c === '"') quoted = true
    else if (c === ',') {
      row.push(field)
      field = ''
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field)
      rows.push(row)
      row = []
      field = ''
      i++
    } else if (c === '\r' || c === '\n') throw new Error(`bare line break outside quotes at ${i}`)
    else field += c
  }
  if (field !== '' || row.length) throw new Error('the last record has no CRLF')
  return rows
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer))
  return Buffer.concat(chunks).toString('utf8')
}

describe('formulaSafe', () => {
  it('prefixes what a spreadsheet would run, not numbers or text that merely contains the characters', () => {
    expect(['=1+1', '+cmd', '-2+3', '@SUM(A1)', '\t=1', '\r=1'].map(formulaSafe)).toEqual(["'=1+1", "'+cmd", "'-2+3", "'@SUM(A1)", "'\t=1", "'\r=1"])
    expect(['-5', '+7', '-0.25', '1e-3', 'a=b', 'x-y@z', ''].map(formulaSafe)).toEqual(['-5', '+7', '-0.25', '1e-3', 'a=b', 'x-y@z', ''])
  })
})

describe('audit CSV export and retention', () => {
  let state: Awaited<ReturnType<typeof freshStateDb>>
  const NASTY = [
    '=HYPERLINK("https://evil.example","click")',
    '+cmd|/C calc!A0',
    '-2+3',
    '@SUM(A1:A2)',
    '\t=1+1',
    '\r=1+1',
    'comma, "quote" and\nnew line',
    'ünïcode ✓',
  ]

  beforeAll(async () => {
    state = await freshStateDb()
    // 1,203 records: more than two pages of the export.
    await sql`
      insert into audit_log (at, actor_email, action, target, input, result, code, message, duration_ms, client_ip)
      select timestamptz '2026-01-01T00:00:00Z' + make_interval(mins => g), 'op@example.org',
        case when g % 3 = 0 then 'checks.run' else 'users.create' end, 'target ' || g,
        jsonb_build_object('n', g), 'ok', 'ok', 'message ' || g, g, '10.0.0.' || (g % 250)
      from generate_series(1, 1195) g
    `.execute(state.db)
    for (const [i, text] of NASTY.entries()) {
      await state.db
        .insertInto('audit_log')
        .values({ at: new Date(Date.UTC(2026, 5, 1, 0, i)), actor_email: text, action: 'nasty.case', target: text, input: JSON.stringify({ v: text }), result: 'failed', code: 'x', message: text, duration_ms: i, client_ip: null })
        .execute()
    }
  })
  afterAll(() => state.drop())

  it('streams every record, newest first, with a header, one CSV record each', async () => {
    const text = await readAll(auditCsvStream(state.db))
    const rows = parseCsv(text)
    expect(rows[0]).toEqual(['id', 'at', 'actor', 'action', 'target', 'result', 'code', 'message', 'duration_ms', 'client_ip', 'input'])
    const total = await state.db.selectFrom('audit_log').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()
    expect(rows.length - 1).toBe(total.n)
    const ids = rows.slice(1).map((r) => Number(r[0]))
    expect(ids).toEqual([...ids].sort((a, b) => b - a))
    const oldest = rows[rows.length - 1]
    expect(oldest.slice(1)).toEqual(['2026-01-01T00:01:00.000Z', 'op@example.org', 'users.create', 'target 1', 'ok', 'ok', 'message 1', '1', '10.0.0.1', '{"n":1}'])
  })

  it('writes text a spreadsheet would run as formulas with a leading quote, and keeps every other value exact', async () => {
    const rows = parseCsv(await readAll(auditCsvStream(state.db, { action: 'nasty.' })))
    expect(rows).toHaveLength(1 + NASTY.length)
    const byMessage = rows.slice(1).reverse()
    for (const [i, text] of NASTY.entries()) {
      const [, , actor, action, target, , , message, duration, clientIp, input] = byMessage[i]
      expect([actor, target, message]).toEqual([formulaSafe(text), formulaSafe(text), formulaSafe(text)])
      expect(action).toBe('nasty.case')
      expect(duration).toBe(String(i))
      expect(clientIp).toBe('')
      expect(JSON.parse(input)).toEqual({ v: text })
    }
    expect(byMessage[0][7]).toBe('\'=HYPERLINK("https://evil.example","click")')
    // No cell of the file starts a formula.
    for (const r of rows) for (const cell of r) expect(cell, cell).not.toMatch(/^[=+@\t\r]|^-(?![\d.])/)
  })

  it('applies the audit page filters', async () => {
    const rows = parseCsv(await readAll(auditCsvStream(state.db, { action: 'checks.', since: new Date('2026-01-01T10:00:00Z') })))
    expect(rows.slice(1).every((r) => r[3] === 'checks.run' && r[1] >= '2026-01-01T10:00:00.000Z')).toBe(true)
    expect(rows.length - 1).toBe(Math.floor(1195 / 3) - Math.floor(599 / 3))
  })

  it('stops reading when the reader goes away', async () => {
    const stream = auditCsvStream(state.db)
    for await (const chunk of stream) {
      expect(String(chunk)).toContain('id,at,actor')
      break
    }
    expect(stream.destroyed).toBe(true)
    // The pool is not left with a stuck query.
    expect((await sql<{ one: number }>`select 1 as one`.execute(state.db)).rows[0].one).toBe(1)
  })

  it('prunes records older than the retention, in batches, and nothing newer', async () => {
    const now = new Date('2027-01-01T12:00:00Z')
    const cutoff = new Date(now.getTime() - 365 * 86_400_000)
    const count = async () => (await state.db.selectFrom('audit_log').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()).n
    const before = await count()
    const old = (await state.db.selectFrom('audit_log').select(sql<number>`count(*)::int`.as('n')).where('at', '<', cutoff).executeTakeFirstOrThrow()).n
    expect(old).toBeGreaterThan(0)
    expect(old).toBeLessThan(before)
    const result = await pruneAudit(state.db, { olderThanDays: 365, now, batchSize: 100 })
    expect(result).toEqual({ deleted: old, cutoff })
    expect(await count()).toBe(before - old)
    const oldest = await state.db.selectFrom('audit_log').select(sql<Date>`min(at)`.as('at')).executeTakeFirstOrThrow()
    expect(new Date(oldest.at).getTime()).toBeGreaterThanOrEqual(cutoff.getTime())
    expect(await pruneAudit(state.db, { olderThanDays: 365, now })).toEqual({ deleted: 0, cutoff })
  })

  it('refuses a retention under one day', async () => {
    for (const days of [0, -1, 0.5]) await expect(pruneAudit(state.db, { olderThanDays: days })).rejects.toThrow(/at least one day/)
  })
})
