import { type Kysely, sql } from 'kysely'

/** The grantee name PostgreSQL's ACLs use for everyone (grantee oid 0). */
export const PUBLIC = 'PUBLIC'

export interface Privilege {
  /** SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER, USAGE, CREATE, CONNECT, TEMPORARY, … */
  type: string
  /** WITH GRANT OPTION: the grantee may pass it on. */
  grantable: boolean
}

export type ObjectKind = 'table' | 'partitioned table' | 'view' | 'materialized view' | 'foreign table' | 'sequence' | 'schema'

export interface PrivilegeRow {
  kind: ObjectKind
  schema: string
  /** The relation's name; for a schema, the schema's name again. */
  name: string
  owner: string
  /** Grantee name → its privileges on this object; grantees without any are absent. */
  grants: Record<string, Privilege[]>
}

/** A role × object grid: `grantees` are the columns (PUBLIC first), `rows` the objects. */
export interface PrivilegeGrid {
  grantees: string[]
  rows: PrivilegeRow[]
}

interface AclRow {
  kind: ObjectKind
  schema: string
  name: string
  owner: string
  grantee: string | null
  privilege_type: string | null
  is_grantable: boolean | null
}

const RELKIND_NAMES = sql`case c.relkind when 'r' then 'table' when 'p' then 'partitioned table' when 'v' then 'view'
  when 'm' then 'materialized view' when 'f' then 'foreign table' else 'sequence' end`

// Schemas PostgreSQL keeps for itself; their grants are the same on every server.
const USER_SCHEMA = (alias: string) =>
  sql`${sql.ref(alias + '.nspname')} not in ('pg_catalog', 'information_schema')
    and ${sql.ref(alias + '.nspname')} not like 'pg\\_toast%' and ${sql.ref(alias + '.nspname')} not like 'pg\\_temp\\_%'`

function toGrid(rows: AclRow[]): PrivilegeGrid {
  const byObject = new Map<string, PrivilegeRow>()
  const grantees = new Set<string>()
  for (const r of rows) {
    const key = `${r.kind}\u0000${r.schema}\u0000${r.name}`
    let row = byObject.get(key)
    if (!row) {
      row = { kind: r.kind, schema: r.schema, name: r.name, owner: r.owner, grants: {} }
      byObject.set(key, row)
    }
    if (r.grantee === null || r.privilege_type === null) continue
    grantees.add(r.grantee)
    ;(row.grants[r.grantee] ??= []).push({ type: r.privilege_type, grantable: !!r.is_grantable })
  }
  const sorted = [...grantees].filter((g) => g !== PUBLIC).sort()
  return { grantees: grantees.has(PUBLIC) ? [PUBLIC, ...sorted] : sorted, rows: [...byObject.values()] }
}

export interface GridOptions {
  /** Only these schemas (default: every schema but PostgreSQL's own). */
  schemas?: string[]
}

/**
 * Table, view and sequence privileges of the current database as a grid. An object without an ACL
 * has PostgreSQL's default (everything for its owner), which acldefault() spells out, so the owner
 * shows like any other grantee.
 */
export async function tablePrivilegeGrid(db: Kysely<any>, opts: GridOptions = {}): Promise<PrivilegeGrid> {
  const { rows } = await sql<AclRow>`
    select ${RELKIND_NAMES} as kind, n.nspname::text as schema, c.relname::text as name, pg_catalog.pg_get_userbyid(c.relowner)::text as owner,
      case when a.grantee = 0 then ${PUBLIC} else g.rolname::text end as grantee, a.privilege_type, a.is_grantable
    from pg_catalog.pg_class c
    join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    left join lateral pg_catalog.aclexplode(coalesce(c.relacl,
      pg_catalog.acldefault(case when c.relkind = 'S' then 's'::"char" else 'r'::"char" end, c.relowner))) a on true
    left join pg_catalog.pg_roles g on g.oid = a.grantee
    where c.relkind in ('r', 'p', 'v', 'm', 'f', 'S') and ${USER_SCHEMA('n')}
      ${opts.schemas ? sql`and n.nspname = any(${opts.schemas}::text[])` : sql``}
    order by n.nspname, c.relname, a.privilege_type
  `.execute(db)
  return toGrid(rows)
}

/** USAGE and CREATE on every schema of the current database, owners included. */
export async function schemaPrivilegeGrid(db: Kysely<any>, opts: GridOptions = {}): Promise<PrivilegeGrid> {
  const { rows } = await sql<AclRow>`
    select 'schema' as kind, n.nspname::text as schema, n.nspname::text as name, pg_catalog.pg_get_userbyid(n.nspowner)::text as owner,
      case when a.grantee = 0 then ${PUBLIC} else g.rolname::text end as grantee, a.privilege_type, a.is_grantable
    from pg_catalog.pg_namespace n
    left join lateral pg_catalog.aclexplode(coalesce(n.nspacl, pg_catalog.acldefault('n', n.nspowner))) a on true
    left join pg_catalog.pg_roles g on g.oid = a.grantee
    where ${USER_SCHEMA('n')} ${opts.schemas ? sql`and n.nspname = any(${opts.schemas}::text[])` : sql``}
    order by n.nspname, a.privilege_type
  `.execute(db)
  return toGrid(rows)
}

export interface DefaultPrivilege {
  /** The role whose future objects get these grants. */
  owner: string
  /** null: in every schema. */
  schema: string | null
  objectType: 'tables' | 'sequences' | 'functions' | 'types' | 'schemas'
  grantee: string
  privileges: Privilege[]
}

/** ALTER DEFAULT PRIVILEGES entries: what objects created later will grant, per creator. */
export async function defaultPrivileges(db: Kysely<any>): Promise<DefaultPrivilege[]> {
  const { rows } = await sql<any>`
    select pg_catalog.pg_get_userbyid(d.defaclrole)::text as owner, n.nspname::text as schema,
      case d.defaclobjtype when 'r' then 'tables' when 'S' then 'sequences' when 'f' then 'functions'
        when 'T' then 'types' else 'schemas' end as object_type,
      case when a.grantee = 0 then ${PUBLIC} else g.rolname::text end as grantee, a.privilege_type, a.is_grantable
    from pg_catalog.pg_default_acl d
    left join pg_catalog.pg_namespace n on n.oid = d.defaclnamespace
    cross join lateral pg_catalog.aclexplode(d.defaclacl) a
    left join pg_catalog.pg_roles g on g.oid = a.grantee
    order by 1, 2 nulls first, 3, 4, a.privilege_type
  `.execute(db)
  const out: DefaultPrivilege[] = []
  for (const r of rows) {
    const last = out[out.length - 1]
    const privilege = { type: r.privilege_type, grantable: r.is_grantable }
    if (last && last.owner === r.owner && last.schema === r.schema && last.objectType === r.object_type && last.grantee === r.grantee) {
      last.privileges.push(privilege)
    } else {
      out.push({ owner: r.owner, schema: r.schema, objectType: r.object_type, grantee: r.grantee, privileges: [privilege] })
    }
  }
  return out
}

export interface PublicRights {
  database: { name: string; owner: string; privileges: string[] }
  /** Schemas on which PUBLIC holds anything, with what it holds. */
  schemas: { schema: string; owner: string; privileges: string[] }[]
}

/**
 * What every role, present and future, may do: PUBLIC's rights on the current database (CONNECT
 * and TEMPORARY by default, CREATE only if granted) and on its schemas (CREATE on public by default
 * before PostgreSQL 15).
 */
export async function publicRights(db: Kysely<any>): Promise<PublicRights> {
  const { rows: dbRows } = await sql<{ name: string; owner: string; privileges: string[] }>`
    select d.datname::text as name, pg_catalog.pg_get_userbyid(d.datdba)::text as owner,
      array(select a.privilege_type from pg_catalog.aclexplode(coalesce(d.datacl, pg_catalog.acldefault('d', d.datdba))) a
            where a.grantee = 0 order by 1) as privileges
    from pg_catalog.pg_database d where d.datname = current_database()
  `.execute(db)
  const schemas = await schemaPrivilegeGrid(db)
  return {
    database: dbRows[0],
    schemas: schemas.rows
      .filter((r) => r.grants[PUBLIC]?.length)
      .map((r) => ({ schema: r.name, owner: r.owner, privileges: r.grants[PUBLIC].map((p) => p.type).sort() })),
  }
}

export interface TablePrivilegeQuery {
  /** Only this schema. */
  schema?: string
  /** Only relations whose name contains this (case-insensitive, taken literally). */
  name?: string
  /** Relations per page (1 to 500). */
  limit: number
  offset: number
}

export interface TablePrivilegePage {
  grid: PrivilegeGrid
  /** Relations matching the query, over all pages. */
  total: number
}

/** `%` and `_` of a search string matched as themselves in LIKE. */
function likeContains(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}

/**
 * One page of tablePrivilegeGrid, filtered by schema and name: the relations are chosen (and
 * counted) before their ACLs are exploded, so a database with thousands of tables costs one page.
 */
export async function tablePrivilegePage(db: Kysely<any>, query: TablePrivilegeQuery): Promise<TablePrivilegePage> {
  const limit = Math.min(Math.max(Math.trunc(query.limit), 1), 500)
  const offset = Math.max(Math.trunc(query.offset), 0)
  const where = sql`c.relkind in ('r', 'p', 'v', 'm', 'f', 'S') and ${USER_SCHEMA('n')}
    ${query.schema !== undefined ? sql`and n.nspname = ${query.schema}` : sql``}
    ${query.name ? sql`and c.relname ilike ${likeContains(query.name)}` : sql``}`
  const [{ rows: counted }, { rows }] = await Promise.all([
    sql<{ total: number }>`
      select count(*)::int as total from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace where ${where}
    `.execute(db),
    sql<AclRow>`
      with page as (
        select c.oid, c.relkind, c.relname, c.relacl, c.relowner, n.nspname
        from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where ${where}
        order by n.nspname, c.relname
        limit ${limit} offset ${offset}
      )
      select ${RELKIND_NAMES} as kind, c.nspname::text as schema, c.relname::text as name, pg_catalog.pg_get_userbyid(c.relowner)::text as owner,
        case when a.grantee = 0 then ${PUBLIC} else g.rolname::text end as grantee, a.privilege_type, a.is_grantable
      from page c
      left join lateral pg_catalog.aclexplode(coalesce(c.relacl,
        pg_catalog.acldefault(case when c.relkind = 'S' then 's'::"char" else 'r'::"char" end, c.relowner))) a on true
      left join pg_catalog.pg_roles g on g.oid = a.grantee
      order by c.nspname, c.relname, a.privilege_type
    `.execute(db),
  ])
  return { grid: toGrid(rows), total: counted[0].total }
}

/** The schemas that hold relations, with how many, for choosing one in the grid. */
export async function relationSchemas(db: Kysely<any>): Promise<{ schema: string; relations: number }[]> {
  const { rows } = await sql<{ schema: string; relations: number }>`
    select n.nspname::text as schema, count(*)::int as relations
    from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p', 'v', 'm', 'f', 'S') and ${USER_SCHEMA('n')}
    group by n.nspname order by n.nspname
  `.execute(db)
  return rows
}
