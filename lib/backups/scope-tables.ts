import { type Kysely, sql } from 'kysely'
import { BackupError } from './backup-error'
import type { BackupScope, TableName } from './types'

export interface ScopeTable extends TableName {
  /** Heap and TOAST bytes, no indexes: what pg_dump reads. */
  bytes: number
}

/** A pg_dump pattern that matches exactly this name: inside double quotes nothing is special. */
export function exactPattern(...parts: string[]): string {
  return parts.map((p) => `"${p.replaceAll('"', '""')}"`).join('.')
}

export function checkScope(scope: BackupScope | undefined): BackupScope | null {
  if (!scope) return null
  const schemas = scope.schemas?.filter((s) => s !== '') ?? []
  const tables = scope.tables ?? []
  if (schemas.length && tables.length) {
    // pg_dump ignores -n once -t is given: refusing is clearer than a backup of less than was asked.
    throw new BackupError('invalid_input', 'Limit a backup to schemas or to tables, not both.')
  }
  if (tables.some((t) => !t.schema || !t.table)) throw new BackupError('invalid_input', 'Name each table with its schema.')
  if (!schemas.length && !tables.length) return null
  return schemas.length ? { schemas } : { tables }
}

/** pg_dump's arguments for a scope; --strict-names makes a name that matches nothing an error. */
export function scopeArgs(scope: BackupScope | null): string[] {
  if (!scope) return []
  const args = ['--strict-names']
  for (const s of scope.schemas ?? []) args.push(`--schema=${exactPattern(s)}`)
  for (const t of scope.tables ?? []) args.push(`--table=${exactPattern(t.schema, t.table)}`)
  return args
}

/**
 * The tables whose rows a backup of this scope holds: ordinary tables and partitions outside the
 * system schemas, not members of an extension (pg_dump leaves those to CREATE EXTENSION). A named
 * schema or table that does not exist is an error here, before anything runs.
 */
export async function tablesInScope(db: Kysely<any>, scope: BackupScope | null): Promise<ScopeTable[]> {
  const schemas = scope?.schemas ?? null
  const tables = scope?.tables ?? null
  const tableSchemas = tables ? tables.map((t) => t.schema) : null
  const tableNames = tables ? tables.map((t) => t.table) : null
  const query = (exact: boolean) => sql<ScopeTable>`
    select n.nspname as schema, c.relname as table,
           ${exact ? sql`pg_table_size(c.oid)` : sql`(c.relpages + coalesce(t.relpages, 0))::bigint * current_setting('block_size')::int`} as bytes
    from pg_class c join pg_namespace n on n.oid = c.relnamespace left join pg_class t on t.oid = c.reltoastrelid
    where c.relkind = 'r' and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
      and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
      and (${schemas}::text[] is null or n.nspname = any(${schemas}::text[]))
      and (${tableSchemas}::text[] is null
           or (n.nspname, c.relname) in (select * from unnest(${tableSchemas}::text[], ${tableNames}::text[])))
    order by 1, 2
  `
  // pg_table_size takes a lock on each table: one that someone holds exclusively falls back to the
  // catalog's page counts (as of the last VACUUM or ANALYZE) instead of stalling before pg_dump starts.
  let rows: ScopeTable[]
  try {
    rows = await db.connection().execute(async (conn) => {
      await sql`set lock_timeout = '200ms'`.execute(conn)
      try {
        return (await query(true).execute(conn)).rows
      } finally {
        await sql`reset lock_timeout`.execute(conn)
      }
    })
  } catch (e) {
    if ((e as { code?: string }).code !== '55P03') throw e
    rows = (await query(false).execute(db)).rows
  }
  if (schemas) {
    const { rows: present } = await sql<{ nspname: string }>`select nspname from pg_namespace where nspname = any(${schemas}::text[])`.execute(db)
    const missing = schemas.filter((s) => !present.some((p) => p.nspname === s))
    if (missing.length) throw new BackupError('invalid_input', `No schema named ${missing.map((m) => JSON.stringify(m)).join(', ')} in this database.`)
  }
  if (tables) {
    const missing = tables.filter((t) => !rows.some((r) => r.schema === t.schema && r.table === t.table))
    if (missing.length) {
      throw new BackupError('invalid_input', `No table ${missing.map((m) => `${JSON.stringify(m.schema)}.${JSON.stringify(m.table)}`).join(', ')} in this database.`)
    }
  }
  return rows.map((r) => ({ ...r, bytes: Number(r.bytes) }))
}
