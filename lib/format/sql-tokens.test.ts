import { describe, expect, it } from 'vitest'
import { sqlTokens } from './sql-tokens'

const kinds = (text: string) => sqlTokens(text).filter((t) => t.text.trim()).map((t) => `${t.kind}:${t.text}`)

describe('sqlTokens', () => {
  it('keeps the text exactly, whatever it holds', () => {
    for (const text of [
      'CREATE INDEX CONCURRENTLY "Línea ""de"" pedido_idx" ON "ünïcode schema"."Order; DROP TABLE x;--" ("Order Ref");',
      "select 'it''s', 'C:\\', $1 -- done\n/* multi\nline */ select 1;\n",
      "unterminated 'quote",
      '',
    ]) {
      expect(sqlTokens(text).map((t) => t.text).join('')).toBe(text)
    }
  })

  it('tells keywords, quoted names, strings, numbers and comments apart', () => {
    expect(kinds(`ALTER TABLE public."user" VALIDATE CONSTRAINT "a""b"; -- now\nselect 'x''y', 42`)).toEqual([
      'keyword:ALTER',
      'keyword:TABLE',
      'identifier:public',
      'sign:.',
      'quoted:"user"',
      'keyword:VALIDATE',
      'keyword:CONSTRAINT',
      'quoted:"a""b"',
      'sign:;',
      'comment:-- now\n',
      'keyword:select',
      "string:'x''y'",
      'sign:,',
      'number:42',
    ])
  })
})
