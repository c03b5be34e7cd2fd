import { type Kysely, sql } from 'kysely'

export interface DefinerFunction {
  schema: string
  name: string
  /** The input argument types as schema and type name, in order: enough to name an overload exactly. */
  argTypes: { schema: string; name: string }[]
  /** Human-readable signature, e.g. `f(a integer, b text)`. */
  signature: string
  kind: 'function' | 'procedure'
  owner: string
  ownerIsSuperuser: boolean
  /** The function's own search_path setting, or null when it takes the caller's. */
  searchPath: string | null
  /** Set when the function belongs to an extension (changed by the extension's updates, not by hand). */
  extension: string | null
}

/**
 * Functions and procedures declared SECURITY DEFINER outside PostgreSQL's own schemas. Without a
 * fixed search_path such a function resolves names through the caller's path, so a caller who can
 * create objects anywhere on it runs code with the owner's rights.
 */
export async function securityDefinerFunctions(db: Kysely<any>): Promise<DefinerFunction[]> {
  const { rows } = await sql<any>`
    select n.nspname::text as schema, p.proname::text as name,
      coalesce((select jsonb_agg(jsonb_build_object('schema', tn.nspname::text, 'name', t.typname::text) order by a.ord)
            from unnest(p.proargtypes::oid[]) with ordinality a(typ, ord)
            join pg_catalog.pg_type t on t.oid = a.typ join pg_catalog.pg_namespace tn on tn.oid = t.typnamespace), '[]'::jsonb) as arg_types,
      p.proname || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')' as signature,
      case p.prokind when 'p' then 'procedure' else 'function' end as kind,
      o.rolname::text as owner, o.rolsuper as owner_is_superuser,
      (select substr(c, length('search_path=') + 1) from unnest(p.proconfig) c where c like 'search\\_path=%' limit 1) as search_path,
      (select e.extname::text from pg_catalog.pg_depend d join pg_catalog.pg_extension e on e.oid = d.refobjid
        where d.classid = 'pg_catalog.pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e' limit 1) as extension
    from pg_catalog.pg_proc p
    join pg_catalog.pg_namespace n on n.oid = p.pronamespace
    join pg_catalog.pg_roles o on o.oid = p.proowner
    where p.prosecdef and n.nspname not in ('pg_catalog', 'information_schema')
    order by n.nspname, p.proname, signature
  `.execute(db)
  return rows.map((r) => ({
    schema: r.schema,
    name: r.name,
    argTypes: r.arg_types,
    signature: r.signature,
    kind: r.kind,
    owner: r.owner,
    ownerIsSuperuser: r.owner_is_superuser,
    searchPath: r.search_path,
    extension: r.extension,
  }))
}
