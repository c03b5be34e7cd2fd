import { describe, expect, it } from 'vitest'
import { analyzeRefusal, sqlWords } from './sql-words'

describe('sqlWords', () => {
  it('skips comments, strings, dollar quotes and quoted names', () => {
    const text = `/* insert /* nested */ delete */ select 'into; drop', E'it\\'s; insert', $x$ into ; $x$, $$delete$$, "into", U&"d\\0061te" -- into
      from t where a = $1`
    expect(sqlWords(text)).toEqual({ words: ['select', 'from', 't', 'where', 'a'], severalStatements: false, unterminated: false })
  })

  it('tells one statement from several', () => {
    expect(sqlWords('select 1;').severalStatements).toBe(false)
    expect(sqlWords('select 1; ;  -- done').severalStatements).toBe(false)
    expect(sqlWords('select 1; select 2').severalStatements).toBe(true)
    expect(sqlWords(`select ';' ; delete from t`).severalStatements).toBe(true)
  })

  it('notices what is not closed', () => {
    for (const text of [`select 'open`, 'select "open', 'select /* open', 'select $a$ open', `select E'\\'`]) {
      expect(sqlWords(text).unterminated).toBe(true)
    }
  })
})

describe('analyzeRefusal', () => {
  it('lets queries through', () => {
    for (const text of ['select 1', '(select 1) union (select 2)', 'with a as (select 1) select * from a', 'values (1)', 'table t', 'SELECT "into" FROM t']) {
      expect(analyzeRefusal(text)).toBeNull()
    }
  })

  it('refuses other statements and SELECT INTO, saying why', () => {
    expect(analyzeRefusal('update t set a = 1')).toBe(
      'EXPLAIN ANALYZE runs the statement, so only a single SELECT is analysed; this is an UPDATE. Use EXPLAIN without ANALYZE to see its plan.',
    )
    expect(analyzeRefusal('merge into t using s on true when matched then delete')).toContain('this is a MERGE')
    expect(analyzeRefusal('explain analyze delete from t')).toContain('this is an EXPLAIN')
    expect(analyzeRefusal('select * into new_t from t')).toContain('SELECT … INTO creates a table')
    expect(analyzeRefusal('select 1; select 2')).toBe('Only one statement can be analysed at a time.')
    expect(analyzeRefusal('-- nothing')).toBe('There is no statement.')
  })
})
