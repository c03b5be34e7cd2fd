import { type Kysely, sql } from 'kysely'

/**
 * Everything a tool could have written into a database outside the system schemas: relations,
 * schemas, extensions, functions. Tests compare it before and after to prove nothing was left behind.
 */
export async function userObjects(db: Kysely<any>) {
  const { rows } = await sql<{ kind: string; name: string }>`
    select 'relation' as kind, n.nspname || '.' || c.relname as name
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
    union all
    select 'schema', nspname from pg_namespace
     where nspname not in ('pg_catalog', 'information_schema', 'pg_toast', 'public')
    union all
    select 'extension', extname from pg_extension where extname <> 'plpgsql'
    union all
    select 'function', n.nspname || '.' || p.proname
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where n.nspname not in ('pg_catalog', 'information_schema')
    order by 1, 2`.execute(db)
  return rows
}
