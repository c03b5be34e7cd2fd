import { type Kysely, sql } from 'kysely'

export interface RowSecurityTable {
  schema: string
  table: string
  owner: string
  /** ALTER TABLE … ENABLE ROW LEVEL SECURITY: without it the policies are not applied. */
  enabled: boolean
  /** FORCE ROW LEVEL SECURITY: the owner is bound by the policies too. */
  forced: boolean
  policies: { name: string; command: string; permissive: boolean; roles: string[] }[]
}

/** Tables that have row-level security policies or have it enabled, with their policies. */
export async function rowSecurityTables(db: Kysely<any>): Promise<RowSecurityTable[]> {
  const { rows } = await sql<any>`
    select n.nspname::text as schema, c.relname::text as "table", pg_catalog.pg_get_userbyid(c.relowner)::text as owner,
      c.relrowsecurity as enabled, c.relforcerowsecurity as forced,
      coalesce((select jsonb_agg(jsonb_build_object(
          'name', p.polname::text,
          'command', case p.polcmd when 'r' then 'SELECT' when 'a' then 'INSERT' when 'w' then 'UPDATE' when 'd' then 'DELETE' else 'ALL' end,
          'permissive', p.polpermissive,
          'roles', array(select case when r = 0 then 'PUBLIC' else pg_catalog.pg_get_userbyid(r)::text end from unnest(p.polroles) r))
          order by p.polname)
        from pg_catalog.pg_policy p where p.polrelid = c.oid), '[]'::jsonb) as policies
    from pg_catalog.pg_class c
    join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p')
      and (c.relrowsecurity or exists (select from pg_catalog.pg_policy p where p.polrelid = c.oid))
    order by 1, 2
  `.execute(db)
  return rows.map((r) => ({ schema: r.schema, table: r.table, owner: r.owner, enabled: r.enabled, forced: r.forced, policies: r.policies }))
}
