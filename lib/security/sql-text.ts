import type { Kysely, RawBuilder } from 'kysely'

/**
 * The exact text of a statement built with sql`…`, sql.id() and sql.lit(), for showing and
 * copying. Utility statements (GRANT, ALTER ROLE, …) cannot take bind parameters, so a statement
 * that would need one is a programming error, not something to paste.
 */
export function statementText(db: Kysely<any>, statement: RawBuilder<unknown>): string {
  const compiled = statement.compile(db)
  if (compiled.parameters.length > 0) {
    throw new Error(`A fix statement must not carry bind parameters: ${compiled.sql}`)
  }
  return compiled.sql.trim() + ';'
}
