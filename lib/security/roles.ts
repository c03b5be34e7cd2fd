import { type Kysely, sql } from 'kysely'

/**
 * How a role's password is stored: only readable from pg_authid, which needs superuser; without it
 * every role reads 'unknown' (pg_roles shows '********' whether a password is set or not).
 */
export type PasswordState = 'scram-sha-256' | 'md5' | 'plain' | 'none' | 'unknown'

export interface RoleInfo {
  oid: number
  name: string
  superuser: boolean
  createRole: boolean
  createDb: boolean
  replication: boolean
  bypassRls: boolean
  canLogin: boolean
  inherit: boolean
  password: PasswordState
  /** null: no expiry. */
  validUntil: Date | null
  /** -1: no limit. */
  connectionLimit: number
  memberOf: string[]
  /** The cluster's first superuser (oid 10), made by initdb: it cannot lose superuser. */
  bootstrap: boolean
  /** pg_monitor, pg_read_all_data and the other roles PostgreSQL defines itself. */
  predefined: boolean
}

export interface RolesResult {
  roles: RoleInfo[]
  /** False when pg_authid could not be read: password states are then 'unknown'. */
  passwordsReadable: boolean
}

async function readPasswordStates(db: Kysely<any>): Promise<Map<number, PasswordState> | null> {
  const { rows: can } = await sql<{ ok: boolean }>`select has_table_privilege('pg_catalog.pg_authid', 'SELECT') as ok`.execute(db)
  if (!can[0]?.ok) return null
  const { rows } = await sql<{ oid: number; state: PasswordState }>`
    select oid::int8 as oid,
      case when rolpassword is null then 'none'
           when rolpassword like 'SCRAM-SHA-256$%' then 'scram-sha-256'
           when rolpassword ~ '^md5[0-9a-f]{32}$' then 'md5'
           else 'plain' end as state
    from pg_catalog.pg_authid
  `.execute(db)
  return new Map(rows.map((r) => [Number(r.oid), r.state]))
}

/** Every role of the cluster with its attributes and direct memberships, by name. */
export async function listRoles(db: Kysely<any>): Promise<RolesResult> {
  const { rows } = await sql<any>`
    select r.oid::int8 as oid, r.rolname::text as name, r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolreplication,
      r.rolbypassrls, r.rolcanlogin, r.rolinherit, r.rolvaliduntil, r.rolconnlimit,
      array(select g.rolname::text from pg_catalog.pg_auth_members m join pg_catalog.pg_roles g on g.oid = m.roleid
            where m.member = r.oid order by 1) as member_of
    from pg_catalog.pg_roles r
    order by r.rolname
  `.execute(db)
  const passwords = await readPasswordStates(db)
  return {
    passwordsReadable: passwords !== null,
    roles: rows.map((r) => ({
      oid: Number(r.oid),
      name: r.name,
      superuser: r.rolsuper,
      createRole: r.rolcreaterole,
      createDb: r.rolcreatedb,
      replication: r.rolreplication,
      bypassRls: r.rolbypassrls,
      canLogin: r.rolcanlogin,
      inherit: r.rolinherit,
      password: passwords?.get(Number(r.oid)) ?? 'unknown',
      // 'infinity' reads as an invalid Date through node-postgres: it never expires either.
      validUntil: r.rolvaliduntil instanceof Date && Number.isFinite(r.rolvaliduntil.getTime()) ? r.rolvaliduntil : null,
      connectionLimit: r.rolconnlimit,
      memberOf: r.member_of,
      bootstrap: Number(r.oid) === 10,
      predefined: Number(r.oid) !== 10 && Number(r.oid) < 16384 && r.name.startsWith('pg_'),
    })),
  }
}
