import { randomBytes } from 'node:crypto'
import { type Kysely, sql } from 'kysely'
import { describeUrl } from './connect'
import { type ReaderLogin, ReaderError, type ReadOnlySession, type SessionLimits, withReadOnlySession } from './restricted-reader'
import { scramVerifier } from './scram-verifier'
import type { StateDb } from '../state/state-db'

/** The role the dashboard creates for user-written SQL when RULE_READER_DATABASE_URL is not set. */
export const DEFAULT_READER_ROLE = 'dbadmin_rule_reader'

export interface ReaderSourceOptions {
  /** RULE_READER_DATABASE_URL, when set: used as it is, checked on every session. */
  configuredUrl?: string
  /** The dashboard's own connection to the target: creates the managed role, and its URL is the template of the role's. */
  target: Kysely<any>
  targetUrl: string
  /** Where the managed role's generated password is kept. */
  state: StateDb
  roleName?: string
}

/** Read-only sessions for user-written SQL on the target; see restricted-reader.ts. */
export interface RestrictedReader {
  session<T>(limits: SessionLimits, work: (session: ReadOnlySession) => Promise<T>): Promise<T>
}

const AUTH_FAILED = new Set(['28P01', '28000'])

function whatToConfigure(who: string, why: string): string {
  return (
    `Custom rules run as a separate read-only role, and ${who} cannot create one (${why}). ` +
    'Set RULE_READER_DATABASE_URL to this database as a role that is a member of pg_read_all_data (or has SELECT on the tables the rules read) ' +
    'and has no SUPERUSER, CREATEROLE, CREATEDB or REPLICATION and no pg_read_server_files, pg_write_server_files, pg_execute_server_program or pg_signal_backend; ' +
    `or give ${who} CREATEROLE (and, on PostgreSQL 16 or later, pg_read_all_data WITH ADMIN OPTION) so that the dashboard creates it.`
  )
}

/** The target URL with another login: query parameters win over the URL's user part in pg. */
function loginUrl(targetUrl: string, role: string, password: string): string {
  const u = new URL(targetUrl)
  u.username = ''
  u.password = ''
  u.searchParams.set('user', role)
  u.searchParams.set('password', password)
  return u.toString()
}

/**
 * Creates the reader role, or gives an existing one a new password. Its rights are checked when a
 * session opens, not here: an existing role that has too much is refused there, not repaired.
 */
async function createOrResetRole(target: Kysely<any>, role: string, password: string): Promise<void> {
  const { rows } = await sql<{ version: number; me: string; exists: boolean }>`
    select current_setting('server_version_num')::int as version, current_user as me,
      exists (select 1 from pg_roles where rolname = ${role}) as exists
  `.execute(target)
  const { version, me, exists } = rows[0]
  if (version < 140000) throw new ReaderError('unavailable', whatToConfigure(me, `PostgreSQL ${Math.floor(version / 10000)} has no pg_read_all_data`))
  const verifier = sql.lit(scramVerifier(password))
  try {
    await target.transaction().execute(async (trx) => {
      if (!exists) {
        // INHERIT: pg_read_all_data's rights must apply without a SET ROLE. The rest is spelled out
        // so that no server default can add to it.
        await sql`create role ${sql.id(role)} login nosuperuser nocreatedb nocreaterole noreplication nobypassrls inherit connection limit 10 password ${verifier}`.execute(trx)
      } else {
        await sql`alter role ${sql.id(role)} login password ${verifier}`.execute(trx)
      }
      await sql`grant pg_read_all_data to ${sql.id(role)}`.execute(trx)
      const { rows: db } = await sql<{ name: string; connect: boolean }>`
        select current_database() as name, has_database_privilege(${role}, current_database(), 'CONNECT') as connect
      `.execute(trx)
      if (!db[0].connect) await sql`grant connect on database ${sql.id(db[0].name)} to ${sql.id(role)}`.execute(trx)
    })
  } catch (e) {
    const err = e as { code?: string; message?: string }
    if (err.code === '42501' || err.code === '0LP01') throw new ReaderError('unavailable', whatToConfigure(me, err.message ?? 'permission denied'))
    throw e
  }
}

/**
 * The managed role's login: the stored password, or a new one when none is stored or the stored
 * one (`stale`) was refused. Under a state-database lock so that two processes do not reset it
 * over each other; a second dashboard on another state database would, and is caught by the retry.
 */
async function managedLogin(opts: ReaderSourceOptions, role: string, stale?: string): Promise<ReaderLogin> {
  const password = await opts.state.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${`dbadmin.reader_role:${role}`}))`.execute(trx)
    const stored = await trx.selectFrom('reader_role').select('password').where('role_name', '=', role).executeTakeFirst()
    if (stored && stored.password !== stale) return stored.password as string
    const fresh = randomBytes(24).toString('base64url')
    await createOrResetRole(opts.target, role, fresh)
    await trx
      .insertInto('reader_role')
      .values({ role_name: role, password: fresh })
      .onConflict((oc) => oc.column('role_name').doUpdateSet({ password: fresh, updated_at: sql`now()` }))
      .execute()
    return fresh
  })
  return { url: loginUrl(opts.targetUrl, role, password), origin: 'managed' }
}

function passwordOf(login: ReaderLogin): string {
  return new URL(login.url).searchParams.get('password') ?? ''
}

/**
 * The reader for one target: RULE_READER_DATABASE_URL when configured, else a role the dashboard
 * creates (when its own role may) with a generated password kept in the state database. Nothing
 * is created until the first session is asked for.
 */
export function restrictedReader(opts: ReaderSourceOptions): RestrictedReader {
  const role = opts.roleName ?? DEFAULT_READER_ROLE
  let login: ReaderLogin | undefined
  const who = () => {
    try {
      return describeUrl(opts.targetUrl).user || 'the dashboard’s role'
    } catch {
      return 'the dashboard’s role'
    }
  }
  return {
    async session(limits, work) {
      if (opts.configuredUrl) login ??= { url: opts.configuredUrl, origin: 'configured' }
      login ??= await managedLogin(opts, role)
      try {
        return await withReadOnlySession(login, limits, work)
      } catch (e) {
        const code = (e as { code?: string }).code
        if (!code || !AUTH_FAILED.has(code)) throw e
        if (login.origin === 'configured') {
          throw new ReaderError('unavailable', `RULE_READER_DATABASE_URL does not log in: ${(e as Error).message.split('\n')[0]}.`)
        }
        // Another process (or a person) changed the password, or pg_hba.conf refuses the role: renew once.
        login = await managedLogin(opts, role, passwordOf(login))
        try {
          return await withReadOnlySession(login, limits, work)
        } catch (again) {
          const code2 = (again as { code?: string }).code
          if (code2 && AUTH_FAILED.has(code2)) throw new ReaderError('unavailable', whatToConfigure(who(), `${role} cannot log in: ${(again as Error).message.split('\n')[0]}`))
          throw again
        }
      }
    },
  }
}
