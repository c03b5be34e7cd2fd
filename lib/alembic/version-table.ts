import { type Kysely, sql } from 'kysely'

/**
 * The revisions in the target's alembic_version, read through the dashboard's own connection:
 * where the database is, whatever Alembic printed. Null when there is no such table.
 */
export async function readAlembicVersion(db: Kysely<any>): Promise<string[] | null> {
  const { rows: present } = await sql<{ ok: boolean }>`select to_regclass('alembic_version') is not null as ok`.execute(db)
  if (!present[0].ok) return null
  const { rows } = await sql<{ v: string }>`select version_num as v from alembic_version order by version_num`.execute(db)
  return rows.map((r) => r.v)
}

/** "1a2b3c4d5e6f", "a, b", or "base (no revision)" for messages. */
export function describeRevisions(revisions: string[] | null): string {
  if (revisions === null) return 'no alembic_version table'
  return revisions.length ? revisions.join(', ') : 'base (no revision)'
}
