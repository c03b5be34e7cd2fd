/**
 * An archive's table of contents, from `pg_restore --list --verbose` (every entry, data included,
 * with what it depends on) and the names from `pg_restore --schema-only --verbose` (whose headers
 * name each entry without the ambiguity of the list's space-separated fields).
 */
export interface TocEntry {
  id: number
  desc: string
  /** From the schema-only text; null for data entries (their table gives the name). */
  schema: string | null
  name: string | null
  owner: string | null
  deps: number[]
  /** The list's own line after the ids, e.g. "TABLE DATA public agenda_item postgres". */
  line: string
}

// Longest first: "SEQUENCE OWNED BY" before "SEQUENCE", "TABLE DATA" before "TABLE".
const DESCS = [
  'MATERIALIZED VIEW DATA', 'PUBLICATION TABLES IN SCHEMA', 'SEQUENCE OWNED BY', 'TEXT SEARCH CONFIGURATION',
  'TEXT SEARCH DICTIONARY', 'TEXT SEARCH TEMPLATE', 'TEXT SEARCH PARSER', 'DEFAULT ACL', 'FOREIGN DATA WRAPPER',
  'FOREIGN SERVER', 'USER MAPPING', 'MATERIALIZED VIEW', 'PUBLICATION TABLE', 'CHECK CONSTRAINT', 'FK CONSTRAINT',
  'EVENT TRIGGER', 'ROW SECURITY', 'SECURITY LABEL', 'SEQUENCE SET', 'INDEX ATTACH', 'LARGE OBJECT', 'FOREIGN TABLE',
  'OPERATOR CLASS', 'OPERATOR FAMILY', 'ACCESS METHOD', 'TABLE ATTACH', 'SHELL TYPE', 'TABLE DATA', 'BLOB METADATA',
  'PROCEDURAL LANGUAGE', 'SUBSCRIPTION TABLE',
  'AGGREGATE', 'BLOBS', 'BLOB', 'CAST', 'COLLATION', 'COMMENT', 'CONSTRAINT', 'CONVERSION', 'DATABASE PROPERTIES',
  'DATABASE', 'DEFAULT', 'DOMAIN', 'ENCODING', 'EXTENSION', 'FUNCTION', 'INDEX', 'OPERATOR', 'POLICY', 'PROCEDURE',
  'PUBLICATION', 'RULE', 'SCHEMA', 'SEARCHPATH', 'SEQUENCE', 'STATISTICS', 'STDSTRINGS', 'SUBSCRIPTION', 'TABLE',
  'TRANSFORM', 'TRIGGER', 'TYPE', 'VIEW', 'ACL',
].sort((a, b) => b.length - a.length)

export function parseList(text: string): TocEntry[] {
  const out: TocEntry[] = []
  for (const raw of text.split('\n')) {
    const dep = /^;\s*depends on:\s*([\d ]+)$/.exec(raw)
    if (dep && out.length) {
      out[out.length - 1].deps.push(...dep[1].trim().split(/\s+/).map(Number))
      continue
    }
    const m = /^(\d+); \d+ \d+ (.*)$/.exec(raw)
    if (!m) continue
    const desc = DESCS.find((d) => m[2].startsWith(d + ' ')) ?? m[2].split(' ')[0]
    out.push({ id: Number(m[1]), desc, schema: null, name: null, owner: null, deps: [], line: m[2] })
  }
  return out
}

/** Fills in schema, name and owner from the headers of the schema-only text. */
export function addNames(entries: TocEntry[], schemaText: string): void {
  const byId = new Map(entries.map((e) => [e.id, e]))
  let current: TocEntry | undefined
  for (const line of schemaText.split('\n')) {
    const toc = /^-- TOC entry (\d+) \(class \d+ OID \d+\)$/.exec(line)
    if (toc) {
      current = byId.get(Number(toc[1]))
      continue
    }
    const name = /^-- Name: (.*); Type: ([A-Z][A-Z ]*); Schema: (.*); Owner: (.*)$/.exec(line)
    if (name && current) {
      current.name = name[1]
      current.schema = name[3] === '-' ? null : name[3]
      current.owner = name[4] === '' ? null : name[4]
      current = undefined
    }
  }
  // Data entries are not in the schema text: they carry their table's or sequence's name.
  for (const e of entries) {
    if (e.name !== null || (e.desc !== 'TABLE DATA' && e.desc !== 'SEQUENCE SET')) continue
    const owner = e.deps.map((d) => byId.get(d)).find((d) => d && d.name !== null)
    if (owner) {
      e.schema = owner.schema
      e.name = owner.name
    }
  }
}

/** The header fields of a list: what pg_restore says about the archive itself. */
export function listHeader(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const m = /^;\s+([A-Za-z ]+):\s*(.*)$/.exec(line)
    if (m && !/depends on/.test(m[1])) out[m[1].trim()] = m[2].trim()
  }
  return out
}

/** What an archive holds, from its entries: table definitions, table data, or both. */
export function archiveKind(entries: TocEntry[]): 'full' | 'schema' | 'data' {
  const schema = entries.some((e) => e.desc === 'TABLE' || e.desc === 'TYPE' || e.desc === 'FUNCTION' || e.desc === 'VIEW')
  const data = entries.some((e) => e.desc === 'TABLE DATA')
  return schema && data ? 'full' : data ? 'data' : 'schema'
}
