/**
 * The bare words of an SQL text, outside comments, string literals, dollar quotes and quoted
 * identifiers, and whether a `;` ends one statement before another begins. Enough to tell what
 * kind of statement a text is; the server's parser and plan decide the rest.
 */
export interface SqlWords {
  /** Lower-cased keywords and unquoted identifiers, in order. */
  words: string[]
  /** Text continues after a top-level `;` (more than one statement). */
  severalStatements: boolean
  /** A comment, string or quoted identifier is not closed. */
  unterminated: boolean
}

export function sqlWords(text: string): SqlWords {
  const words: string[] = []
  let severalStatements = false
  let sawSemicolon = false
  let i = 0
  const n = text.length
  const unterminated = () => ({ words, severalStatements, unterminated: true })

  while (i < n) {
    const ch = text[i]
    const next = text[i + 1]
    if (/\s/.test(ch)) {
      i++
      continue
    }
    if (ch === '-' && next === '-') {
      const end = text.indexOf('\n', i)
      i = end < 0 ? n : end + 1
      continue
    }
    if (ch === '/' && next === '*') {
      // Block comments nest in PostgreSQL.
      let depth = 1
      i += 2
      while (i < n && depth > 0) {
        if (text[i] === '/' && text[i + 1] === '*') {
          depth++
          i += 2
        } else if (text[i] === '*' && text[i + 1] === '/') {
          depth--
          i += 2
        } else i++
      }
      if (depth > 0) return unterminated()
      continue
    }
    if (sawSemicolon && ch !== ';') severalStatements = true
    if (ch === "'") {
      const end = closeQuote(text, i, "'", false)
      if (end < 0) return unterminated()
      i = end
      continue
    }
    if (ch === '"') {
      const end = closeQuote(text, i, '"', false)
      if (end < 0) return unterminated()
      i = end
      continue
    }
    if (ch === '$') {
      const tag = /^\$([A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/.exec(text.slice(i))
      if (tag) {
        const end = text.indexOf(tag[0], i + tag[0].length)
        if (end < 0) return unterminated()
        i = end + tag[0].length
        continue
      }
      // A parameter ($1) or a stray dollar.
      i++
      while (i < n && /\d/.test(text[i])) i++
      continue
    }
    if (ch === ';') {
      sawSemicolon = true
      i++
      continue
    }
    if (/[A-Za-z_\u0080-\uffff]/.test(ch)) {
      let j = i + 1
      while (j < n && /[\w$\u0080-\uffff]/.test(text[j])) j++
      const word = text.slice(i, j)
      // E'…' (backslash escapes), B'…', X'…', N'…', U&'…' and U&"…" are literals or identifiers, not words.
      if (text[j] === "'" && /^[EeBbXxNn]$/.test(word)) {
        const end = closeQuote(text, j, "'", /^[Ee]$/.test(word))
        if (end < 0) return unterminated()
        i = end
        continue
      }
      if (/^[Uu]$/.test(word) && text[j] === '&' && (text[j + 1] === "'" || text[j + 1] === '"')) {
        const end = closeQuote(text, j + 1, text[j + 1], false)
        if (end < 0) return unterminated()
        i = end
        continue
      }
      words.push(word.toLowerCase())
      i = j
      continue
    }
    i++
  }
  return { words, severalStatements, unterminated: false }
}

/** Index just past the closing quote (a doubled quote is part of the text), or -1. */
function closeQuote(text: string, open: number, quote: string, backslashes: boolean): number {
  let i = open + 1
  while (i < text.length) {
    const ch = text[i]
    if (backslashes && ch === '\\') {
      i += 2
      continue
    }
    if (ch === quote) {
      if (text[i + 1] === quote) {
        i += 2
        continue
      }
      return i + 1
    }
    i++
  }
  return -1
}

const READING_STARTS = new Set(['select', 'with', 'values', 'table'])

/**
 * Why EXPLAIN ANALYZE must not run this text, judged from its words: it must be one statement
 * that starts as a query and has no INTO (SELECT … INTO creates a table; INTO is a reserved
 * word, so it cannot be a column name). Data-modifying CTEs and row locks are found in the plan.
 */
export function analyzeRefusal(text: string): string | null {
  const { words, severalStatements, unterminated } = sqlWords(text)
  if (unterminated) return 'The statement has an unterminated comment, string or quoted name.'
  if (severalStatements) return 'Only one statement can be analysed at a time.'
  if (!words.length) return 'There is no statement.'
  if (!READING_STARTS.has(words[0])) {
    return `EXPLAIN ANALYZE runs the statement, so only a single SELECT is analysed; this is ${article(words[0])} ${words[0].toUpperCase()}. Use EXPLAIN without ANALYZE to see its plan.`
  }
  if (words.includes('into')) {
    return 'SELECT … INTO creates a table, so it is not analysed. Use EXPLAIN without ANALYZE to see its plan.'
  }
  return null
}

const article = (word: string) => (/^[aeiou]/i.test(word) ? 'an' : 'a')
