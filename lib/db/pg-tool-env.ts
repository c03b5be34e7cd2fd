/**
 * Environment for PostgreSQL's command-line tools (pg_dump, pg_restore, psql) from a connection
 * URL: the password travels in PGPASSWORD, never on a command line that `ps` shows. The URL's SSL
 * parameters go with it (sslmode=verify-full&sslrootcert=/path/ca.crt checks the server as the
 * dashboard's own connections do), as does `?host=` (a socket directory, which wins as in libpq).
 */
export function pgToolEnv(url: string): NodeJS.ProcessEnv {
  const u = new URL(url)
  const param = (name: string) => u.searchParams.get(name) ?? undefined
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    PGHOST: param('host') ?? u.hostname.replace(/^\[(.*)\]$/, '$1'),
    PGPORT: u.port || '5432',
    PGUSER: param('user') ?? decodeURIComponent(u.username),
    PGPASSWORD: param('password') ?? decodeURIComponent(u.password),
    PGDATABASE: decodeURIComponent(u.pathname.slice(1)),
    PGSSLMODE: param('sslmode'),
    PGSSLROOTCERT: param('sslrootcert'),
    PGSSLCERT: param('sslcert'),
    PGSSLKEY: param('sslkey'),
    PGSSLCRL: param('sslcrl'),
    PGCONNECT_TIMEOUT: '10',
  }
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k]
  return env as NodeJS.ProcessEnv
}
