import { tokenize } from 'sugar-high/core'
import * as sqlLanguage from 'sugar-high/lang/sql'

// SQL split into tokens for highlighting, with sugar-high's small lexer (2.4.1, about 3 kB gzipped
// for its core and SQL keywords: no grammar files, no WebAssembly, nothing run in the browser that
// a server component did not already render). PostgreSQL's own words are added to its SQL keywords.

const POSTGRES_KEYWORDS = `
  always analyze begin btree cascade comment commit concurrently conflict deferrable deferred do each
  enum execute extension for function generated gin gist grant hash identity if immediate initially
  language nothing nulls only owned owner procedure reindex rename replace restrict returning returns
  revoke rollback row schema sequence stored to transaction trigger truncate type using vacuum
  validate
`

const OPTIONS = {
  ...sqlLanguage,
  keywords: new Set([...sqlLanguage.keywords, ...POSTGRES_KEYWORDS.trim().split(/\s+/)]),
  // SQL quotes: a doubled quote stays inside ('it''s', "a""b"); a backslash is an ordinary character.
  onLiteral(curr: string, index: number, code: string): number | null {
    if (curr !== "'" && curr !== '"') return null
    let i = index + 1
    while (i < code.length) {
      if (code[i] === curr) {
        if (code[i + 1] === curr) i += 2
        else return i + 1 - index
      } else i++
    }
    return code.length - index
  },
}

export type SqlTokenKind = 'keyword' | 'type' | 'string' | 'identifier' | 'quoted' | 'number' | 'comment' | 'sign' | 'text'

const KIND: Record<string, SqlTokenKind> = {
  keyword: 'keyword',
  class: 'type',
  string: 'string',
  comment: 'comment',
  sign: 'sign',
  identifier: 'identifier',
  property: 'identifier',
}

const TOKEN_TYPES = ['identifier', 'keyword', 'string', 'class', 'property', 'entity', 'jsxliterals', 'sign', 'comment', 'break', 'space']

/** The text split into highlighted pieces; joined again they are exactly the text. */
export function sqlTokens(text: string): { kind: SqlTokenKind; text: string }[] {
  return tokenize(text, OPTIONS).map(([type, value]) => {
    const name = TOKEN_TYPES[type]
    let kind = KIND[name] ?? 'text'
    if (kind === 'string' && value.startsWith('"')) kind = 'quoted'
    else if (kind === 'type' && /^\d/.test(value)) kind = 'number'
    return { kind, text: value }
  })
}
