import { CompiledQuery, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { columnList, LATER_KEYWORDS, qualifiedName, quoteIdent } from './sql-ident'

let t: FreshDatabase
beforeAll(async () => {
  t = await freshDatabase('ident')
})
afterAll(() => t?.drop())

const ODD = ['meeting', 'created_by', '_x1', 'Order; DROP TABLE x;--', 'ünïcode schema', 'a"b', 'CamelCase', '1abc', 'a$b', 'a b', '', 'x-y', '🙂']

describe('quoteIdent', () => {
  it('quotes exactly as PostgreSQL 15’s quote_ident() does, every keyword included', async () => {
    const { rows } = await sql<{ word: string }>`select word from pg_get_keywords()`.execute(t.db)
    const names = [...ODD, ...rows.map((r) => r.word)]
    const { rows: quoted } = await sql<{ name: string; q: string }>`select n as name, quote_ident(n) as q from unnest(${names}::text[]) n`.execute(t.db)
    expect(quoted.length).toBeGreaterThan(400)
    for (const { name, q } of quoted) expect(quoteIdent(name), name).toBe(q)
  })

  it('also quotes the keywords later versions added, which is still valid on 15', async () => {
    for (const word of LATER_KEYWORDS) {
      expect(quoteIdent(word)).toBe(`"${word}"`)
      const { rows } = await t.db.executeQuery(CompiledQuery.raw(`select 1 as ${quoteIdent(word)}`))
      expect(rows).toEqual([{ [word]: 1 }])
    }
  })

  it('writes names that PostgreSQL reads back as the same objects', async () => {
    await sql`create schema ${sql.id('ünïcode schema')}`.execute(t.db)
    await sql`create table ${sql.id('ünïcode schema', 'Order; DROP TABLE x;--')} (${sql.id('user')} int, "A""b" int)`.execute(t.db)
    const name = qualifiedName('ünïcode schema', 'Order; DROP TABLE x;--')
    expect(name).toBe('"ünïcode schema"."Order; DROP TABLE x;--"')
    expect(columnList(['user', 'A"b'])).toBe('("user", "A""b")')
    // The statement as shown to a user, run as written.
    await t.db.executeQuery(CompiledQuery.raw(`insert into ${name} ${columnList(['user', 'A"b'])} values (1, 2)`))
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.id('ünïcode schema', 'Order; DROP TABLE x;--')}`.execute(t.db)
    expect(rows[0].n).toBe(1)
  })
})
