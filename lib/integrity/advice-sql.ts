import { columnList, qualifiedName, quoteIdent } from '../format/sql-ident'

// The exact statements integrity advice suggests, shown with a copy button. Names come from the
// catalog and are quoted as quote_ident() would; nothing here runs them.

/** PostgreSQL's own limit on a name: 63 bytes. */
const NAME_BYTES = 63

/** The first `bytes` bytes of `s` in UTF-8, never cutting a character in two. */
function clipBytes(s: string, bytes: number): string {
  let out = ''
  let used = 0
  for (const ch of s) {
    const size = Buffer.byteLength(ch)
    if (used + size > bytes) break
    out += ch
    used += size
  }
  return out
}

/**
 * The name PostgreSQL gives an index it names itself (makeObjectName: `table_col1_col2_idx`, the
 * longer part cut first to fit 63 bytes). Written out, so that the statement reads as what it makes.
 */
export function defaultIndexName(table: string, columns: readonly string[]): string {
  const name2 = columns.join('_')
  const available = NAME_BYTES - '_idx'.length - 1
  let n1 = Buffer.byteLength(table)
  let n2 = Buffer.byteLength(name2)
  while (n1 + n2 > available) {
    if (n1 > n2) n1--
    else n2--
  }
  return `${clipBytes(table, n1)}_${clipBytes(name2, n2)}_idx`
}

/** An index for a foreign key's columns, built without blocking writes. */
export function createIndexSql(schema: string, table: string, columns: readonly string[]): string {
  return `CREATE INDEX CONCURRENTLY ${quoteIdent(defaultIndexName(table, columns))} ON ${qualifiedName(schema, table)} ${columnList(columns)};`
}

export function validateConstraintSql(schema: string, table: string, constraint: string): string {
  return `ALTER TABLE ${qualifiedName(schema, table)} VALIDATE CONSTRAINT ${quoteIdent(constraint)};`
}

/** Drops an invalid index and builds it again from its definition (pg_get_indexdef), both concurrently. */
export function rebuildIndexSql(schema: string, index: string, definition: string): string {
  return `DROP INDEX CONCURRENTLY ${qualifiedName(schema, index)};\n${definition.replace(/^CREATE (UNIQUE )?INDEX /, 'CREATE $1INDEX CONCURRENTLY ')};`
}

export function dropTypeSql(schema: string, name: string): string {
  return `DROP TYPE ${qualifiedName(schema, name)};`
}

/** Makes case-insensitive duplicates impossible once they are merged. */
export function uniqueLowerIndexSql(schema: string, table: string, column: string): string {
  const name = defaultIndexName(table, [`lower_${column}`]).replace(/_idx$/, '_key')
  return `CREATE UNIQUE INDEX CONCURRENTLY ${quoteIdent(name)} ON ${qualifiedName(schema, table)} (lower(${quoteIdent(column)}));`
}

/**
 * A soft relation turned into a FOREIGN KEY: added NOT VALID (existing rows are not checked, so it
 * can be added while orphans remain), then validated once the orphans are fixed.
 */
export function addForeignKeySql(rel: {
  schema: string
  table: string
  columns: readonly string[]
  refSchema: string
  refTable: string
  refColumns: readonly string[]
}): string {
  const name = clipBytes(`${rel.table}_${rel.columns.join('_')}_fkey`, NAME_BYTES)
  const table = qualifiedName(rel.schema, rel.table)
  return [
    `ALTER TABLE ${table} ADD CONSTRAINT ${quoteIdent(name)} FOREIGN KEY ${columnList(rel.columns)} REFERENCES ${qualifiedName(rel.refSchema, rel.refTable)} ${columnList(rel.refColumns)} NOT VALID;`,
    `-- after fixing the orphans:`,
    validateConstraintSql(rel.schema, rel.table, name),
  ].join('\n')
}

/** A sequence and the column it feeds widened to bigint; the ALTER TABLE rewrites the table under an exclusive lock. */
export function sequenceToBigintSql(seq: { schema: string; name: string; ownedBy: { schema: string; table: string; column: string } | null }): string {
  const lines = seq.ownedBy
    ? [`ALTER TABLE ${qualifiedName(seq.ownedBy.schema, seq.ownedBy.table)} ALTER COLUMN ${quoteIdent(seq.ownedBy.column)} TYPE bigint;`]
    : []
  return [...lines, `ALTER SEQUENCE ${qualifiedName(seq.schema, seq.name)} AS bigint;`].join('\n')
}
