/**
 * Environment for PostgreSQL's command-line tools (pg_dump, pg_restore, psql) from a connection
 * URL: the password travels in PGPASSWORD, never on a command line that `ps` shows.
 */
export function pgToolEnv(url: string): NodeJS.ProcessEnv {
  const u = new URL(url)
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    PGHOST: u.hostname,
    PGPORT: u.port || '5432',
    PGUSER: decodeURIComponent(u.username),
    PGPASSWORD: decodeURIComponent(u.password),
    PGDATABASE: decodeURIComponent(u.pathname.slice(1)),
    PGSSLMODE: u.searchParams.get('sslmode') ?? undefined,
    PGCONNECT_TIMEOUT: '10',
  }
  return env as NodeJS.ProcessEnv
}
