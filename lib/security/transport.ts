import { type Kysely, sql } from 'kysely'

export interface ServerSecuritySettings {
  /** How new passwords are hashed: 'scram-sha-256' or 'md5'. */
  passwordEncryption: string
  ssl: boolean
  /** e.g. 'TLSv1.2'; null when not readable. */
  sslMinProtocolVersion: string | null
  serverVersionNum: number
}

export async function serverSecuritySettings(db: Kysely<any>): Promise<ServerSecuritySettings> {
  const { rows } = await sql<{ name: string; setting: string }>`
    select name, setting from pg_catalog.pg_settings
    where name in ('password_encryption', 'ssl', 'ssl_min_protocol_version', 'server_version_num')
  `.execute(db)
  const get = (name: string) => rows.find((r) => r.name === name)?.setting ?? null
  return {
    passwordEncryption: get('password_encryption') ?? 'md5',
    ssl: get('ssl') === 'on',
    sslMinProtocolVersion: get('ssl_min_protocol_version'),
    serverVersionNum: Number(get('server_version_num')),
  }
}

export interface ClientConnection {
  pid: number
  user: string | null
  database: string | null
  applicationName: string | null
  /** null: a Unix-domain socket, or not visible to this role. */
  clientAddress: string | null
  /** null when this role may not see the session's details (needs pg_read_all_stats or the same role). */
  ssl: boolean | null
  sslVersion: string | null
  cipher: string | null
  superuser: boolean | null
  /** The session running this query. */
  current: boolean
  /** Connected from an address other than loopback, so its traffic crosses a network. */
  remote: boolean
}

/** Loopback addresses and Unix sockets never leave the machine; anything else crosses a network. */
export function isLocalAddress(address: string | null): boolean {
  if (address === null || address === '') return true
  const a = address.replace(/\/\d+$/, '').toLowerCase()
  return a === '::1' || a === 'localhost' || /^127\./.test(a) || /^::ffff:127\./.test(a) || a.startsWith('/')
}

/** Every client session of the cluster, with whether its connection is encrypted (pg_stat_ssl). */
export async function clientConnections(db: Kysely<any>): Promise<ClientConnection[]> {
  const { rows } = await sql<any>`
    select a.pid, a.usename::text as "user", a.datname::text as database, a.application_name,
      host(a.client_addr) as client_addr,
      (pg_catalog.pg_has_role(a.usesysid, 'USAGE') or pg_catalog.pg_has_role('pg_read_all_stats', 'USAGE')) as visible,
      s.ssl, s.version, s.cipher, r.rolsuper, a.pid = pg_catalog.pg_backend_pid() as current
    from pg_catalog.pg_stat_activity a
    left join pg_catalog.pg_stat_ssl s on s.pid = a.pid
    left join pg_catalog.pg_roles r on r.oid = a.usesysid
    where a.backend_type = 'client backend'
    order by a.pid
  `.execute(db)
  return rows.map((r) => ({
    pid: r.pid,
    user: r.user,
    database: r.database,
    applicationName: r.visible ? r.application_name : null,
    clientAddress: r.visible ? r.client_addr : null,
    ssl: r.visible ? !!r.ssl : null,
    sslVersion: r.visible ? r.version : null,
    cipher: r.visible ? r.cipher : null,
    superuser: r.rolsuper ?? null,
    current: r.current,
    remote: r.visible ? !isLocalAddress(r.client_addr) : false,
  }))
}
