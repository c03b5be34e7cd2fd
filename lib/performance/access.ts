import { type Kysely, sql } from 'kysely'

/**
 * What the connection's role may see and do, read once per call where it matters: the pages must
 * work with only pg_monitor and say what more privilege would show instead of failing.
 */
export interface PerformanceAccess {
  user: string
  superuser: boolean
  /** pg_read_all_stats (part of pg_monitor): other roles' query texts, states and waits. */
  readAllStats: boolean
  /** pg_read_all_settings (part of pg_monitor): superuser-only settings such as shared_preload_libraries. */
  readAllSettings: boolean
  /** pg_signal_backend: cancel and terminate other roles' (non-superuser) sessions. */
  signalBackend: boolean
  serverVersionNum: number
  backendPid: number
}

export async function readAccess(db: Kysely<any>): Promise<PerformanceAccess> {
  const { rows } = await sql<{
    user: string
    superuser: boolean
    read_all_stats: boolean
    read_all_settings: boolean
    signal_backend: boolean
    version_num: number
    pid: number
  }>`/* dor-db-admin */
    select current_user as user,
           r.rolsuper as superuser,
           pg_has_role('pg_read_all_stats', 'USAGE') as read_all_stats,
           pg_has_role('pg_read_all_settings', 'USAGE') as read_all_settings,
           pg_has_role('pg_signal_backend', 'USAGE') as signal_backend,
           current_setting('server_version_num')::int as version_num,
           pg_backend_pid() as pid
    from pg_roles r where r.rolname = current_user
  `.execute(db)
  const r = rows[0]
  return {
    user: r.user,
    superuser: r.superuser,
    readAllStats: r.superuser || r.read_all_stats,
    readAllSettings: r.superuser || r.read_all_settings,
    signalBackend: r.superuser || r.signal_backend,
    serverVersionNum: r.version_num,
    backendPid: r.pid,
  }
}

/**
 * Application names the dashboard gives its own connections (`lib/db/server-dbs.ts`, the CLI,
 * migrations, integrity runs): their sessions are never signalled and are marked as ours.
 */
export const DASHBOARD_APPLICATION = /^(dor-db-admin|dbadmin)\b/

export function isDashboardApplication(applicationName: string | null | undefined): boolean {
  return !!applicationName && DASHBOARD_APPLICATION.test(applicationName)
}

/**
 * The comment every statement of lib/performance starts with. pg_stat_statements keeps the text
 * as first seen, comments included, but not application_name: this is how the slow-queries list
 * leaves the dashboard's own polling out.
 */
export const DASHBOARD_SQL_TAG = '/* dor-db-admin */'
