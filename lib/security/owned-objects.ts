import { type Kysely, sql } from 'kysely'

export type OwnedObjectKind = 'table' | 'view' | 'materialized view' | 'foreign table' | 'sequence' | 'routine' | 'type' | 'domain'

/** An object whose owner can be changed on its own (indexes, owned sequences and row types follow their table). */
export interface OwnedObject {
  kind: OwnedObjectKind
  schema: string
  name: string
  /** Routines only: input argument types, to name one overload exactly. */
  argTypes?: { schema: string; name: string }[]
  owner: string
  ownerIsSuperuser: boolean
}

export interface ManagedSchema {
  name: string
  owner: string
  ownerIsSuperuser: boolean
}

// Extension members are the extension's to own; sequences owned by a column move with their table.
const NOT_EXTENSION_MEMBER = (classid: string, alias: string) =>
  sql`not exists (select from pg_catalog.pg_depend d where d.classid = ${classid}::regclass and d.objid = ${sql.ref(alias + '.oid')} and d.deptype = 'e')`

/** The schemas to manage: the given ones, or every schema but PostgreSQL's own and extensions'. */
export async function managedSchemas(db: Kysely<any>, only?: string[]): Promise<ManagedSchema[]> {
  const { rows } = await sql<any>`
    select n.nspname::text as name, o.rolname::text as owner, o.rolsuper as owner_is_superuser
    from pg_catalog.pg_namespace n join pg_catalog.pg_roles o on o.oid = n.nspowner
    where n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_%'
      and ${NOT_EXTENSION_MEMBER('pg_catalog.pg_namespace', 'n')}
      ${only ? sql`and n.nspname = any(${only}::text[])` : sql``}
    order by 1
  `.execute(db)
  if (only) {
    const missing = only.filter((s) => !rows.some((r) => r.name === s))
    if (missing.length) throw new Error(`No such schema: ${missing.join(', ')}`)
  }
  return rows.map((r) => ({ name: r.name, owner: r.owner, ownerIsSuperuser: r.owner_is_superuser }))
}

/** Every object in the schemas whose ownership can be transferred by itself, in a stable order. */
export async function ownedObjects(db: Kysely<any>, schemas: string[]): Promise<OwnedObject[]> {
  const { rows: relations } = await sql<any>`
    select case c.relkind when 'v' then 'view' when 'm' then 'materialized view' when 'f' then 'foreign table'
        when 'S' then 'sequence' else 'table' end as kind,
      n.nspname::text as schema, c.relname::text as name, o.rolname::text as owner, o.rolsuper as owner_is_superuser
    from pg_catalog.pg_class c
    join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    join pg_catalog.pg_roles o on o.oid = c.relowner
    where n.nspname = any(${schemas}::text[]) and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
      and ${NOT_EXTENSION_MEMBER('pg_catalog.pg_class', 'c')}
      and not (c.relkind = 'S' and exists (select from pg_catalog.pg_depend d
        where d.classid = 'pg_catalog.pg_class'::regclass and d.objid = c.oid
          and d.refclassid = 'pg_catalog.pg_class'::regclass and d.deptype in ('a', 'i')))
    order by 2, c.relkind = 'S', 3
  `.execute(db)
  const { rows: routines } = await sql<any>`
    select 'routine' as kind, n.nspname::text as schema, p.proname::text as name, o.rolname::text as owner, o.rolsuper as owner_is_superuser,
      coalesce((select jsonb_agg(jsonb_build_object('schema', tn.nspname::text, 'name', t.typname::text) order by a.ord)
        from unnest(p.proargtypes::oid[]) with ordinality a(typ, ord)
        join pg_catalog.pg_type t on t.oid = a.typ join pg_catalog.pg_namespace tn on tn.oid = t.typnamespace), '[]'::jsonb) as arg_types
    from pg_catalog.pg_proc p
    join pg_catalog.pg_namespace n on n.oid = p.pronamespace
    join pg_catalog.pg_roles o on o.oid = p.proowner
    where n.nspname = any(${schemas}::text[]) and ${NOT_EXTENSION_MEMBER('pg_catalog.pg_proc', 'p')}
    order by 2, 3, p.oid
  `.execute(db)
  const { rows: types } = await sql<any>`
    select case t.typtype when 'd' then 'domain' else 'type' end as kind,
      n.nspname::text as schema, t.typname::text as name, o.rolname::text as owner, o.rolsuper as owner_is_superuser
    from pg_catalog.pg_type t
    join pg_catalog.pg_namespace n on n.oid = t.typnamespace
    join pg_catalog.pg_roles o on o.oid = t.typowner
    where n.nspname = any(${schemas}::text[]) and ${NOT_EXTENSION_MEMBER('pg_catalog.pg_type', 't')}
      and (t.typtype in ('e', 'd', 'r')
        or (t.typtype = 'c' and (select c.relkind from pg_catalog.pg_class c where c.oid = t.typrelid) = 'c'))
    order by 2, 3
  `.execute(db)
  const toObject = (r: any): OwnedObject => ({
    kind: r.kind,
    schema: r.schema,
    name: r.name,
    ...(r.arg_types ? { argTypes: r.arg_types } : {}),
    owner: r.owner,
    ownerIsSuperuser: r.owner_is_superuser,
  })
  // Types first: a table or routine may use them, and nothing depends on who owns which first.
  return [...types, ...relations, ...routines].map(toObject)
}
