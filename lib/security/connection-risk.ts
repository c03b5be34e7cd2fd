import { type Kysely, sql } from 'kysely'
import { isLocalAddress } from './transport'

export type ConnectionWarningCode = 'superuser' | 'database_owner' | 'no_ssl_remote'

export interface ConnectionWarning {
  code: ConnectionWarningCode
  message: string
}

export interface ConnectionRisk {
  /** The role the connection logged in as. */
  user: string
  superuser: boolean
  /** Owns the database, or is a member of the role that does (a superuser counts only as superuser). */
  databaseOwner: boolean
  /** The host the URL names; a path for a Unix socket. */
  host: string
  /** Loopback or a Unix socket: the traffic never leaves the machine. */
  local: boolean
  /** This session is encrypted (pg_stat_ssl, as the server sees it). */
  ssl: boolean
  /** sslmode from the URL, when it names one. */
  sslMode: string | null
  warnings: ConnectionWarning[]
}

/** The host a URL connects to: `?host=` (a socket directory, say) wins over the authority, as in libpq. */
export function urlHost(url: string): string {
  const u = new URL(url)
  return u.searchParams.get('host') || decodeURIComponent(u.hostname).replace(/^\[(.*)\]$/, '$1') || 'localhost'
}

export function connectionWarnings(risk: Omit<ConnectionRisk, 'warnings'>): ConnectionWarning[] {
  const out: ConnectionWarning[] = []
  if (risk.superuser) {
    out.push({
      code: 'superuser',
      message: `The dashboard connects as ${risk.user}, a superuser: any flaw in it is a flaw of the whole server. Apply the least-privilege roles and give it one connection per capability.`,
    })
  } else if (risk.databaseOwner) {
    out.push({
      code: 'database_owner',
      message: `The dashboard connects as ${risk.user}, the database's owner: it can drop or change anything in the database. Apply the least-privilege roles and give it one connection per capability.`,
    })
  }
  if (!risk.local && !risk.ssl) {
    out.push({
      code: 'no_ssl_remote',
      message: `The connection to ${risk.host} crosses the network without SSL: queries, results and the password can be read on the way. Use sslmode=verify-full with the server's CA (sslrootcert).`,
    })
  }
  return out
}

/** Who the given connection is and how it travels, for the warning banner. */
export async function connectionRisk(db: Kysely<any>, url: string): Promise<ConnectionRisk> {
  const { rows } = await sql<{ user: string; superuser: boolean; owner: boolean; ssl: boolean | null }>`
    select session_user::text as "user", r.rolsuper as superuser,
      (d.datdba = r.oid or pg_catalog.pg_has_role(r.oid, d.datdba, 'MEMBER')) as owner,
      (select s.ssl from pg_catalog.pg_stat_ssl s where s.pid = pg_catalog.pg_backend_pid()) as ssl
    from pg_catalog.pg_roles r, pg_catalog.pg_database d
    where r.rolname = session_user and d.datname = current_database()
  `.execute(db)
  const row = rows[0]
  const host = urlHost(url)
  const risk = {
    user: row.user,
    superuser: row.superuser,
    databaseOwner: !row.superuser && row.owner,
    host,
    local: isLocalAddress(host),
    ssl: !!row.ssl,
    sslMode: new URL(url).searchParams.get('sslmode'),
  }
  return { ...risk, warnings: connectionWarnings(risk) }
}
