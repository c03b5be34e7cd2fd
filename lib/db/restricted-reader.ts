import pg from 'pg'
import { AppError } from '../errors'

/**
 * Sessions for SQL that a person wrote (custom integrity rules; later EXPLAIN ANALYZE): whatever
 * the text says, it can read and do nothing else.
 *
 * - It runs on a login of its own whose *session user* is checked on every session: no SUPERUSER,
 *   CREATEROLE, CREATEDB or REPLICATION, and no membership (direct or not) in a role that has them
 *   or in pg_read_server_files, pg_write_server_files, pg_execute_server_program or
 *   pg_signal_backend. A SET ROLE on a powerful session would not do: the text could switch back
 *   with set_config('role', …).
 * - Each statement goes through the extended protocol, which takes exactly one statement.
 * - Everything runs in one READ ONLY transaction that is always rolled back, under a statement
 *   timeout, and the session is closed afterwards: advisory locks, settings and temporary state
 *   end with it. Large objects the role came to own during the session (only possible through a
 *   second connection, e.g. dblink with a known password) are unlinked before closing.
 * - The client stops waiting after its own deadline and ends the backend itself.
 * - Errors keep PostgreSQL's first line, at most 300 characters, and the SQLSTATE: no DETAIL or
 *   CONTEXT, which can quote row values.
 */

/** Rights that reach beyond reading tables: a reader must hold none of them, even indirectly. */
export const FORBIDDEN_MEMBERSHIPS = ['pg_read_server_files', 'pg_write_server_files', 'pg_execute_server_program', 'pg_signal_backend'] as const

export const READER_ERROR_MAX = 300

/** How to log in as the reader, and where that login came from (for messages). */
export interface ReaderLogin {
  url: string
  /** 'configured': RULE_READER_DATABASE_URL; 'managed': the role the dashboard created. */
  origin: 'configured' | 'managed'
}

export interface SessionLimits {
  statementTimeoutMs: number
  /** The client gives up this long after sending a statement (default: statement timeout + 5 s). */
  clientTimeoutMs?: number
  applicationName?: string
}

export interface ReadOnlySession {
  /** One statement, through the extended protocol (so never a second one), with bound parameters. */
  query<R = Record<string, unknown>>(text: string, params: readonly unknown[]): Promise<R[]>
}

export type ReaderErrorKind = 'unavailable' | 'unsafe' | 'timeout'

// The server's rule reader is one per process (lib/db/server-dbs.ts, on globalThis), made by whichever
// module graph asks first: instrumentation.ts (the job system) or the app's. Its errors are then of
// that graph's classes, so `instanceof` checks the error's name rather than its class identity.
const named = (name: string) => (v: unknown) => v instanceof Error && v.name === name

/** The code each kind reaches the user with: a timeout is the statement's (too slow), the rest the setup's. */
const READER_CODES = { unavailable: 'unavailable', unsafe: 'unavailable', timeout: 'invalid_input' } as const

/** The reader cannot be used at all (or gave up waiting); the message says what to configure. */
export class ReaderError extends AppError {
  static [Symbol.hasInstance] = named('ReaderError')

  constructor(
    readonly kind: ReaderErrorKind,
    message: string,
  ) {
    super(READER_CODES[kind], message)
    this.name = 'ReaderError'
  }
}

/** PostgreSQL refused or failed the statement; the message is already cut for showing and auditing. */
export class ReaderQueryError extends AppError {
  static [Symbol.hasInstance] = named('ReaderQueryError')
  constructor(
    message: string,
    /** PostgreSQL's SQLSTATE, when the server answered. */
    readonly sqlState: string | undefined,
  ) {
    super('invalid_input', message)
    this.name = 'ReaderQueryError'
  }
}

/** PostgreSQL's first line, at most READER_ERROR_MAX characters. */
export function cutErrorMessage(message: string): string {
  const first = message.split(/\r?\n|\r/, 1)[0].trim()
  return first.length > READER_ERROR_MAX ? first.slice(0, READER_ERROR_MAX - 1) + '…' : first
}

/**
 * One statement through the extended protocol (Parse, Bind, Execute), which PostgreSQL refuses to
 * run with a second statement in it. (queryMode is in pg, not yet in its type definitions.)
 */
function extended<R extends pg.QueryResultRow>(client: pg.Client, text: string, values: readonly unknown[]): Promise<pg.QueryResult<R>> {
  return client.query<R>({ text, values: [...values], queryMode: 'extended' } as pg.QueryConfig)
}

/** The session user, and what it may do beyond reading (empty for a safe reader). */
async function readerProblems(client: pg.Client): Promise<{ me: string; problems: string[] }> {
  const { rows } = await extended<{ me: string; role: string | null; why: string[] | null }>(
    client,
    `
      select session_user as me, r.rolname as role,
        array_remove(array[
          case when r.rolsuper then 'SUPERUSER' end,
          case when r.rolcreaterole then 'CREATEROLE' end,
          case when r.rolcreatedb then 'CREATEDB' end,
          case when r.rolreplication then 'REPLICATION' end,
          case when r.rolname = any($1::text[]) then r.rolname end
        ], null) as why
      from (select 1) as one
      left join pg_catalog.pg_roles r
        on (r.rolsuper or r.rolcreaterole or r.rolcreatedb or r.rolreplication or r.rolname = any($1::text[]))
        and pg_catalog.pg_has_role(session_user, r.oid, 'MEMBER')
      order by r.rolname = session_user desc, r.rolname`,
    [FORBIDDEN_MEMBERSHIPS],
  )
  const me = rows[0].me
  const own = rows.find((r) => r.role === me)
  // A superuser is a member of every role: its own attributes say enough.
  const relevant = own?.why?.includes('SUPERUSER') ? [own] : rows.filter((r) => r.role !== null)
  const problems = relevant.map((r) => {
    if (r.role === me) return `has ${r.why!.join(', ')}`
    const attributes = r.why!.filter((w) => w !== r.role)
    return `is a member of ${r.role}${attributes.length ? ` (${attributes.join(', ')})` : ''}`
  })
  return { me, problems }
}

/** `work`, or after `ms` the timeout error (once `onExpiry` has ended the session), whichever is first. */
function deadline<T>(work: Promise<T>, ms: number, onExpiry: () => Promise<void>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let expired = false
    const timer = setTimeout(() => {
      expired = true
      void onExpiry().finally(() =>
        reject(new ReaderError('timeout', `The server did not answer within ${Math.round(ms / 100) / 10} s; the session was ended.`)),
      )
    }, ms)
    // Once expired, how the statement ends (usually: its backend was terminated) is no longer news.
    work.then(
      (value) => {
        if (expired) return
        clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        if (expired) return
        clearTimeout(timer)
        reject(error)
      },
    )
  })
}

/** Ends a reader backend from a second session of the same role (a role may end its own sessions). */
async function endBackend(login: ReaderLogin, pid: number | null): Promise<void> {
  if (!pid) return
  const killer = new pg.Client({ connectionString: login.url, application_name: 'dbadmin reader (ending a session)', connectionTimeoutMillis: 5_000 })
  killer.on('error', () => {})
  try {
    await killer.connect()
    await extended(killer, 'select pg_catalog.pg_terminate_backend($1)', [pid])
  } catch {
    // The backend is gone already, or the server is unreachable: either way nothing is left to end.
  } finally {
    await killer.end().catch(() => {})
  }
}

function asQueryError(e: unknown): Error {
  if (e instanceof ReaderError || e instanceof ReaderQueryError) return e
  const err = e as { message?: string; code?: string }
  return new ReaderQueryError(cutErrorMessage(err?.message ?? String(e)), err?.code)
}

function unsafeReader(login: ReaderLogin, me: string, problems: string[]): ReaderError {
  const why = `${problems.join('; ')}: user-written SQL does not run as a role that can do more than read.`
  return new ReaderError(
    'unsafe',
    login.origin === 'configured'
      ? `RULE_READER_DATABASE_URL logs in as ${me}, which ${why} Point it at a role without these rights.`
      : `${me}, the role the dashboard created for custom rules, ${why} Take these rights away (or drop the role: the dashboard creates it anew), or set RULE_READER_DATABASE_URL.`,
  )
}

const OWN_LARGE_OBJECTS = `
  select oid::text as oid from pg_catalog.pg_largeobject_metadata
  where lomowner = (select oid from pg_catalog.pg_roles where rolname = session_user)`

/**
 * Unlinks the large objects the reader came to own during the session. Inside the session's READ
 * ONLY transaction none can be made; another connection (dblink with a known password) could.
 */
async function unlinkNewLargeObjects(client: pg.Client, before: string[]): Promise<void> {
  const now = (await client.query<{ oid: string }>(OWN_LARGE_OBJECTS)).rows.map((r) => r.oid)
  const added = now.filter((oid) => !before.includes(oid))
  if (!added.length) return
  await client.query('begin transaction read write')
  await extended(client, 'select pg_catalog.lo_unlink(oid::oid) from unnest($1::text[]) as oid', [added])
  await client.query('commit')
}

function connectClient(login: ReaderLogin, applicationName: string): pg.Client {
  const client = new pg.Client({ connectionString: login.url, application_name: applicationName, connectionTimeoutMillis: 5_000 })
  // A backend ended mid-statement also emits 'error' on the client; the statement reports it.
  client.on('error', () => {})
  return client
}

/**
 * Opens a fresh session as the reader, checks it, runs `work` inside one READ ONLY transaction and
 * closes the session whatever happens. Connection failures (e.g. a wrong password) are thrown as
 * they come from pg, with their SQLSTATE, so that a caller can renew a managed login.
 */
export async function withReadOnlySession<T>(login: ReaderLogin, limits: SessionLimits, work: (session: ReadOnlySession) => Promise<T>): Promise<T> {
  const clientTimeoutMs = limits.clientTimeoutMs ?? limits.statementTimeoutMs + 5_000
  const client = connectClient(login, limits.applicationName ?? 'dbadmin reader')
  let dead = false
  const timed = <R>(p: Promise<R>) =>
    deadline(p, clientTimeoutMs, async () => {
      dead = true
      await endBackend(login, (client as unknown as { processID: number | null }).processID)
    })

  await client.connect()
  let largeObjectsBefore: string[] | null = null
  try {
    const { me, problems } = await timed(readerProblems(client))
    if (problems.length) throw unsafeReader(login, me, problems)
    // Set here, after any `options` the URL carries, and before the text runs.
    await timed(
      extended(
        client,
        `select pg_catalog.set_config('statement_timeout', $1, false),
           pg_catalog.set_config('idle_in_transaction_session_timeout', $2, false),
           pg_catalog.set_config('row_security', 'off', false),
           pg_catalog.set_config('default_transaction_read_only', 'on', false)`,
        [String(limits.statementTimeoutMs), String(clientTimeoutMs + 5_000)],
      ),
    )
    largeObjectsBefore = (await timed(client.query<{ oid: string }>(OWN_LARGE_OBJECTS))).rows.map((r) => r.oid)
    await timed(client.query('begin transaction read only'))
    return await work({
      async query<R>(text: string, params: readonly unknown[]) {
        if (dead) throw new ReaderError('timeout', 'The session was ended.')
        try {
          return (await timed(extended(client, text, params))).rows as R[]
        } catch (e) {
          throw asQueryError(e)
        }
      },
    })
  } finally {
    await closeSession(login, client, dead, largeObjectsBefore)
  }
}

/** Rolls back, removes new large objects and closes; a session that cannot be closed cleanly is cut. */
async function closeSession(login: ReaderLogin, client: pg.Client, dead: boolean, largeObjectsBefore: string[] | null): Promise<void> {
  let cleaner: pg.Client | null = null
  try {
    if (!dead) {
      try {
        await deadline(client.query('rollback'), 10_000, async () => {})
      } catch {
        // The text ended its own backend, or the server went away: the transaction is gone with it.
        dead = true
      }
    }
    if (largeObjectsBefore) {
      if (dead) {
        cleaner = connectClient(login, 'dbadmin reader (cleaning up)')
        await cleaner.connect()
      }
      await deadline(unlinkNewLargeObjects(cleaner ?? client, largeObjectsBefore), 10_000, async () => {})
    }
  } catch (e) {
    console.error('[dbadmin] reader session: large objects not cleaned up:', (e as Error)?.message ?? e)
  } finally {
    if (dead) (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy()
    else await client.end().catch(() => {})
    await cleaner?.end().catch(() => {})
  }
}
