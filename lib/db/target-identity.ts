import { type Kysely, sql } from 'kysely'

/**
 * Which database the dashboard manages, as the state database records it. Several dashboards (or
 * a dashboard and a CLI pointed elsewhere) may share one state database, and two servers may each
 * have a database called `dor`: history, snapshots, integrity runs, fixes and rules are keyed by
 * the server's identity plus the database name, never by the name alone.
 */
export interface TargetIdentity {
  /** `<system identifier>/<database>`, or `addr:<server address>:<port>/<database>` (see `serverBy`). */
  key: string
  /** current_database(), for display. */
  database: string
  /**
   * How the server was told apart: its system identifier (pg_control_system(), executable by every
   * role unless an administrator revoked it), or else the address and port the server reports for
   * this connection, which is weaker: the same server reached through another address is another key.
   */
  serverBy: 'system_identifier' | 'address'
}

const cached = new WeakMap<object, Promise<TargetIdentity>>()

async function readIdentity(db: Kysely<any>): Promise<TargetIdentity> {
  // Checked first: an EXECUTE refused at plan time would fail the whole query, even inside a CASE.
  const { rows } = await sql<{ database: string; allowed: boolean; addr: string | null; port: number | null; setting_port: string }>`
    select current_database() as database,
           has_function_privilege('pg_catalog.pg_control_system()', 'execute') as allowed,
           host(inet_server_addr()) as addr, inet_server_port() as port, current_setting('port') as setting_port
  `.execute(db)
  const r = rows[0]
  if (r.allowed) {
    // As text: a system identifier is a 64-bit number that a JavaScript number would round.
    const { rows: ids } = await sql<{ id: string | null }>`select system_identifier::text as id from pg_control_system()`.execute(db)
    if (ids[0]?.id) return { key: `${ids[0].id}/${r.database}`, database: r.database, serverBy: 'system_identifier' }
  }
  // A Unix-socket connection has no server address: the port still tells local clusters apart.
  const where = r.addr ? `${r.addr}:${r.port}` : `local:${r.setting_port}`
  return { key: `addr:${where}/${r.database}`, database: r.database, serverBy: 'address' }
}

/** The identity of the database `db` is connected to; read once per connection pool. */
export function targetIdentity(db: Kysely<any>): Promise<TargetIdentity> {
  let found = cached.get(db)
  if (!found) {
    found = readIdentity(db)
    cached.set(db, found)
    // A target that did not answer is asked again next time.
    found.catch(() => cached.delete(db))
  }
  return found
}
