import { execFile } from 'node:child_process'
import path from 'node:path'
import { pgToolEnv } from '../db/pg-tool-env'
import type { RelationInfo } from './types'

export interface TableDdl {
  ddl: string
  source: 'pg_dump' | 'catalog'
  /** Why pg_dump was not used, when it was not. */
  note?: string
}

// PostgreSQL's reserved key words (Appendix C): as bare identifiers they are syntax errors.
const RESERVED = new Set(
  `all analyse analyze and any array as asc asymmetric authorization binary both case cast check collate collation
  column concurrently constraint create cross current_catalog current_date current_role current_schema current_time
  current_timestamp current_user default deferrable desc distinct do else end except false fetch for foreign freeze
  from full grant group having ilike in initially inner intersect into is isnull join lateral leading left like limit
  localtime localtimestamp natural not notnull null offset on only or order outer overlaps placing primary references
  returning right select session_user similar some symmetric system_user table tablesample then to trailing true union
  unique user using variadic verbose when where window with`.split(/\s+/),
)

/** A quoted identifier for display: this text is shown, never executed. */
export function displayIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) && !RESERVED.has(name) ? name : '"' + name.replace(/"/g, '""') + '"'
}

/** pg_dump's -t pattern for exactly this table: inside double quotes nothing is a wildcard. */
export function exactTablePattern(schema: string, table: string): string {
  return `"${schema.replace(/"/g, '""')}"."${table.replace(/"/g, '""')}"`
}

/** pg_dump's statements without its session SETs and comment banners. */
function tidyDump(out: string): string {
  return out
    .split('\n')
    // Session SETs, comment banners and pg_dump 15.14+'s \restrict/\unrestrict framing (CVE-2025-8714).
    .filter(
      (l) =>
        !l.startsWith('--') && !/^SET /.test(l) && !/^SELECT pg_catalog\.set_config/.test(l) && !/^\\(un)?restrict\b/.test(l),
    )
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
}

/**
 * The table's DDL as pg_dump writes it. When pg_dump cannot (missing, older than the server,
 * no privilege to lock the table) the DDL is rebuilt from the catalog and the reason is given.
 */
export async function tableDdl(url: string, rel: RelationInfo, pgBinDir: string): Promise<TableDdl> {
  const args = ['--schema-only', '--no-password', '--table', exactTablePattern(rel.schema, rel.name)]
  try {
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        path.join(pgBinDir, 'pg_dump'),
        args,
        { env: pgToolEnv(url), timeout: 30_000, maxBuffer: 16 * 1024 * 1024 },
        (error, stdout, stderr) => (error ? reject(new Error(stderr.trim() || error.message)) : resolve(stdout)),
      )
    })
    return { ddl: tidyDump(out), source: 'pg_dump' }
  } catch (e) {
    const reason = (e as Error).message.split('\n')[0].replace(/^pg_dump: (error: )?/, '')
    return { ddl: catalogDdl(rel), source: 'catalog', note: `pg_dump could not be used (${reason}); rebuilt from the catalog` }
  }
}

/** CREATE statements rebuilt from the catalog model: columns, constraints, indexes, triggers. */
export function catalogDdl(rel: RelationInfo): string {
  const name = `${displayIdent(rel.schema)}.${displayIdent(rel.name)}`
  if (rel.kind === 'view' || rel.kind === 'materialized_view') {
    const kw = rel.kind === 'view' ? 'VIEW' : 'MATERIALIZED VIEW'
    return `CREATE ${kw} ${name} AS\n${(rel.viewDefinition ?? '').trim()}`
  }
  const lines = rel.columns.map((c) => {
    let line = `    ${displayIdent(c.name)} ${c.type}`
    if (c.generated) line += ` GENERATED ALWAYS AS ${c.generated} STORED`
    if (c.identity) line += ` GENERATED ${c.identity === 'always' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY`
    if (c.default !== null) line += ` DEFAULT ${c.default}`
    if (!c.nullable) line += ' NOT NULL'
    return line
  })
  const cons = [...(rel.primaryKey ? [rel.primaryKey] : []), ...rel.constraints]
  for (const c of cons) lines.push(`    CONSTRAINT ${displayIdent(c.name)} ${c.definition}`)
  const out = [`CREATE TABLE ${name} (\n${lines.join(',\n')}\n);`]
  for (const fk of rel.foreignKeys) {
    out.push(`ALTER TABLE ONLY ${name}\n    ADD CONSTRAINT ${displayIdent(fk.name)} ${fk.definition};`)
  }
  for (const i of rel.indexes) if (!i.constraint) out.push(`${i.definition};`)
  for (const t of rel.triggers) out.push(`${t.definition};`)
  if (rel.comment) out.push(`COMMENT ON TABLE ${name} IS '${rel.comment.replace(/'/g, "''")}';`)
  return out.join('\n\n')
}
