import { type Kysely, type RawBuilder, sql } from 'kysely'
import { generatePassword } from '../auth/passwords'
import { scramVerifier } from '../db/scram-verifier'
import { type ManagedSchema, type OwnedObject, managedSchemas, ownedObjects } from './owned-objects'
import { statementText } from './sql-text'

export const CAPABILITIES = ['monitoring', 'rule_reading', 'migration', 'backup', 'maintenance', 'signalling'] as const
export type Capability = (typeof CAPABILITIES)[number]

interface CapabilitySpec {
  /** Suffix of the NOLOGIN role that holds the rights. */
  role: string
  /** Suffix of the login role that is granted it. */
  login: string
  /**
   * Room for the dashboard's pools on this login (lib/db/server-dbs.ts: a page pool, a job's
   * sessions, the banner's check) plus a CLI run beside the server.
   */
  connectionLimit: number
  purpose: string
}

/**
 * The rule reader's login is `<prefix>_rule_reader`, the role the dashboard creates for custom rules
 * when none is configured (DEFAULT_READER_ROLE in lib/db/reader-login.ts): applying this script
 * gives that role its rights through `<prefix>_rule_reading` instead of a second reader appearing.
 */
export const CAPABILITY_SPECS: Record<Capability, CapabilitySpec> = {
  monitoring: {
    role: 'monitoring',
    login: 'monitor',
    connectionLimit: 15,
    purpose: 'statistics, activity and settings for the overview, performance and health pages (pg_monitor); no table data',
  },
  rule_reading: {
    role: 'rule_reading',
    login: 'rule_reader',
    connectionLimit: 10,
    purpose: 'custom integrity rules and EXPLAIN ANALYZE: reads every table, writes nothing, no server files',
  },
  migration: {
    role: 'migration',
    login: 'migrator',
    connectionLimit: 15,
    purpose: 'migrations: owns the managed schemas and everything in them',
  },
  backup: {
    role: 'backup',
    login: 'backup_runner',
    connectionLimit: 15,
    purpose: 'pg_dump: reads every table, writes nothing',
  },
  maintenance: {
    role: 'maintenance',
    login: 'maintainer',
    connectionLimit: 5,
    purpose: 'VACUUM, ANALYZE, REINDEX and CLUSTER',
  },
  signalling: {
    role: 'signalling',
    login: 'signaller',
    connectionLimit: 4,
    purpose: 'Cancel and Terminate on the Activity page (pg_signal_backend): signals other sessions, reads no data, not superusers’ sessions',
  },
}

export interface LeastPrivilegeOptions {
  /** Role names start with this and an underscore (default 'dbadmin'). */
  prefix?: string
  /** The schemas the migrator owns and the readers read (default: every schema but PostgreSQL's and extensions'). */
  schemas?: string[]
  /** Passwords of the login roles; missing ones are generated. Pass the ones shown when applying a shown script. */
  passwords?: Partial<Record<Capability, string>>
  /**
   * How readers get their rights: 'predefined' grants pg_read_all_data (PostgreSQL 14+), 'explicit'
   * grants SELECT per schema plus default privileges. Default: what the server supports.
   */
  readAccess?: 'predefined' | 'explicit'
}

export interface CapabilityRoles {
  capability: Capability
  role: string
  login: string
  password: string
  purpose: string
}

export interface LeastPrivilegeScript {
  database: string
  serverVersionNum: number
  capabilities: CapabilityRoles[]
  /** Each statement with why it is there, in the order it runs. */
  statements: { sql: string; why: string }[]
  /** The whole script to copy: comments, one transaction. The passwords appear only as SCRAM verifiers. */
  text: string
  /** Things the script does not do, to read before running it. */
  notes: string[]
}

interface Step {
  statement: RawBuilder<unknown>
  why: string
}

const PREFIX = /^[a-z_][a-z0-9_]{0,39}$/

const ROLE_LIMITS = sql`NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT`
const TABLE_WRITE = sql`SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER`

function routineRef(o: OwnedObject) {
  return sql`${sql.id(o.schema, o.name)}(${sql.join((o.argTypes ?? []).map((t) => sql.id(t.schema, t.name)))})`
}

function alterOwner(o: OwnedObject, to: string): RawBuilder<unknown> {
  const owner = sql.id(to)
  const rel = sql.id(o.schema, o.name)
  switch (o.kind) {
    case 'table':
      return sql`ALTER TABLE ${rel} OWNER TO ${owner}`
    case 'view':
      return sql`ALTER VIEW ${rel} OWNER TO ${owner}`
    case 'materialized view':
      return sql`ALTER MATERIALIZED VIEW ${rel} OWNER TO ${owner}`
    case 'foreign table':
      return sql`ALTER FOREIGN TABLE ${rel} OWNER TO ${owner}`
    case 'sequence':
      return sql`ALTER SEQUENCE ${rel} OWNER TO ${owner}`
    case 'routine':
      return sql`ALTER ROUTINE ${routineRef(o)} OWNER TO ${owner}`
    case 'domain':
      return sql`ALTER DOMAIN ${rel} OWNER TO ${owner}`
    case 'type':
      return sql`ALTER TYPE ${rel} OWNER TO ${owner}`
  }
}

async function existingRoles(db: Kysely<any>, names: string[]): Promise<Set<string>> {
  const { rows } = await sql<{ name: string }>`select rolname::text as name from pg_catalog.pg_roles where rolname = any(${names}::text[])`.execute(db)
  return new Set(rows.map((r) => r.name))
}

async function plan(db: Kysely<any>, opts: LeastPrivilegeOptions) {
  const prefix = opts.prefix ?? 'dbadmin'
  if (!PREFIX.test(prefix)) throw new Error('The role prefix must be 1 to 40 lower-case letters, digits or underscores, not starting with a digit.')
  const { rows } = await sql<{ database: string; version: number }>`
    select current_database()::text as database, current_setting('server_version_num')::int as version
  `.execute(db)
  const { database, version } = rows[0]
  const readAccess = opts.readAccess ?? (version >= 140000 ? 'predefined' : 'explicit')
  if (readAccess === 'predefined' && version < 140000) throw new Error('pg_read_all_data exists from PostgreSQL 14 on; use explicit grants.')
  const capabilities: CapabilityRoles[] = CAPABILITIES.map((capability) => ({
    capability,
    role: `${prefix}_${CAPABILITY_SPECS[capability].role}`,
    login: `${prefix}_${CAPABILITY_SPECS[capability].login}`,
    password: opts.passwords?.[capability] ?? generatePassword(24),
    purpose: CAPABILITY_SPECS[capability].purpose,
  }))
  const roleOf = (c: Capability) => capabilities.find((x) => x.capability === c)!.role
  const ours = new Set(capabilities.flatMap((c) => [c.role, c.login]))
  const exists = await existingRoles(db, [...ours])
  const schemas: ManagedSchema[] = await managedSchemas(db, opts.schemas)
  const objects = await ownedObjects(db, schemas.map((s) => s.name))

  const steps: Step[] = []
  const notes: string[] = []
  const add = (statement: RawBuilder<unknown>, why: string) => steps.push({ statement, why })
  const roleStatement = (name: string, login: boolean, limit: number, password?: string) => {
    const verb = exists.has(name) ? sql`ALTER ROLE` : sql`CREATE ROLE`
    const tail = login ? sql`LOGIN CONNECTION LIMIT ${sql.lit(limit)} PASSWORD ${sql.lit(scramVerifier(password!))}` : sql`NOLOGIN`
    return sql`${verb} ${sql.id(name)} WITH ${ROLE_LIMITS} ${tail}`
  }

  for (const c of capabilities) add(roleStatement(c.role, false, 0), `${c.capability}: ${c.purpose}`)
  for (const c of capabilities) add(sql`GRANT CONNECT ON DATABASE ${sql.id(database)} TO ${sql.id(c.role)}`, `${c.capability} may connect to ${database}`)

  add(sql`GRANT pg_monitor TO ${sql.id(roleOf('monitoring'))}`, 'monitoring reads statistics, activity and settings, not table data')

  // Alone on its own login: the readers, the monitor and the migrator must never signal other sessions.
  add(sql`GRANT pg_signal_backend TO ${sql.id(roleOf('signalling'))}`, 'signalling may cancel and terminate other non-superuser sessions, and does nothing else')

  const migration = roleOf('migration')
  for (const s of schemas) {
    if (s.owner !== migration) add(sql`ALTER SCHEMA ${sql.id(s.name)} OWNER TO ${sql.id(migration)}`, `migration owns schema ${s.name} (was ${s.owner})`)
  }
  for (const o of objects) {
    if (o.owner !== migration) add(alterOwner(o, migration), `migration owns ${o.kind} ${o.schema}.${o.name} (was ${o.owner})`)
  }
  // Roles that owned objects keep using them (an application's login, typically), only without DDL.
  const keepAccess = new Map<string, Set<string>>()
  for (const o of [...objects, ...schemas.map((s) => ({ schema: s.name, owner: s.owner, ownerIsSuperuser: s.ownerIsSuperuser }))]) {
    if (o.ownerIsSuperuser || o.owner.startsWith('pg_') || ours.has(o.owner)) continue
    keepAccess.set(o.owner, (keepAccess.get(o.owner) ?? new Set()).add(o.schema))
  }
  for (const [owner, inSchemas] of keepAccess) {
    for (const schema of [...inSchemas].sort()) {
      const s = sql.id(schema)
      const r = sql.id(owner)
      const why = `${owner} owned objects in ${schema}: it keeps reading and writing them, without DDL`
      add(sql`GRANT USAGE ON SCHEMA ${s} TO ${r}`, why)
      add(sql`GRANT ${TABLE_WRITE} ON ALL TABLES IN SCHEMA ${s} TO ${r}`, why)
      add(sql`GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA ${s} TO ${r}`, why)
      add(sql`GRANT EXECUTE ON ALL ROUTINES IN SCHEMA ${s} TO ${r}`, why)
      add(sql`ALTER DEFAULT PRIVILEGES FOR ROLE ${sql.id(migration)} IN SCHEMA ${s} GRANT ${TABLE_WRITE} ON TABLES TO ${r}`, `${why}, also on tables migrations create later`)
      add(sql`ALTER DEFAULT PRIVILEGES FOR ROLE ${sql.id(migration)} IN SCHEMA ${s} GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO ${r}`, `${why}, also on sequences migrations create later`)
    }
  }

  for (const capability of ['rule_reading', 'backup'] as const) {
    const reader = sql.id(roleOf(capability))
    if (readAccess === 'predefined') {
      add(sql`GRANT pg_read_all_data TO ${reader}`, `${capability} reads every table and sequence, and writes nothing`)
      continue
    }
    for (const s of schemas) {
      const why = `${capability} reads ${s.name} and writes nothing`
      add(sql`GRANT USAGE ON SCHEMA ${sql.id(s.name)} TO ${reader}`, why)
      add(sql`GRANT SELECT ON ALL TABLES IN SCHEMA ${sql.id(s.name)} TO ${reader}`, why)
      add(sql`GRANT SELECT ON ALL SEQUENCES IN SCHEMA ${sql.id(s.name)} TO ${reader}`, why)
      add(sql`ALTER DEFAULT PRIVILEGES FOR ROLE ${sql.id(migration)} IN SCHEMA ${sql.id(s.name)} GRANT SELECT ON TABLES TO ${reader}`, `${why}, also tables migrations create later`)
      add(sql`ALTER DEFAULT PRIVILEGES FOR ROLE ${sql.id(migration)} IN SCHEMA ${sql.id(s.name)} GRANT SELECT ON SEQUENCES TO ${reader}`, `${why}, also sequences migrations create later`)
    }
  }

  const maintenance = sql.id(roleOf('maintenance'))
  if (version >= 170000) {
    add(sql`GRANT pg_maintain TO ${maintenance}`, 'maintenance may VACUUM, ANALYZE, REINDEX, CLUSTER and REFRESH every relation (pg_maintain)')
  } else {
    add(sql`GRANT ${sql.id(migration)} TO ${maintenance}`, 'before PostgreSQL 17 only an owner may REINDEX or CLUSTER a table: maintenance acts through the owner, migration')
    notes.push(
      `PostgreSQL ${Math.floor(version / 10000)} has no pg_maintain: maintenance works as a member of ${roleOf('migration')}, the owner, so it could also change the schema. From PostgreSQL 17 on, running the script again grants pg_maintain instead (revoke the membership then).`,
    )
  }

  for (const c of capabilities) {
    add(roleStatement(c.login, true, CAPABILITY_SPECS[c.capability].connectionLimit, c.password), `the login for ${c.capability}`)
    add(sql`GRANT ${sql.id(c.role)} TO ${sql.id(c.login)}`, `${c.login} acts with the rights of ${c.role}`)
  }
  const migrator = capabilities.find((c) => c.capability === 'migration')!
  add(
    sql`ALTER ROLE ${sql.id(migrator.login)} SET role = ${sql.lit(migrator.role)}`,
    `${migrator.login} works as ${migrator.role} from the start of each session, so that what migrations create belongs to ${migrator.role} (and its default privileges apply)`,
  )

  notes.push(
    'Run it as a superuser. It changes the owner of every object in the managed schemas to the migration role; roles that owned them before keep reading and writing them, without DDL.',
    'Nothing is revoked: rights the roles already had, or that other roles have, stay. Each login gets a new password; only its SCRAM verifier is in the script.',
  )
  if (version < 140000) notes.push('Readers get SELECT per schema: tables created later by other owners than the migration role need their own grants.')
  return { database, version, capabilities, steps, notes }
}

function scriptText(p: Awaited<ReturnType<typeof plan>>, statements: { sql: string; why: string }[]): string {
  const lines = [
    `-- Least-privilege roles for DoR DB Admin on database ${JSON.stringify(p.database)} (server_version_num ${p.version}).`,
    ...p.notes.map((n) => `-- ${n}`),
    ...p.capabilities.map((c) => `-- ${c.login} → ${c.role}: ${c.purpose}`),
    'BEGIN;',
  ]
  for (const s of statements) lines.push(`-- ${s.why}`, s.sql)
  lines.push('COMMIT;', '')
  return lines.join('\n')
}

/** The setup script for the current database, for an admin to read, copy or apply. Changes nothing. */
export async function leastPrivilegeScript(db: Kysely<any>, opts: LeastPrivilegeOptions = {}): Promise<LeastPrivilegeScript> {
  const p = await plan(db, opts)
  const statements = p.steps.map((s) => ({ sql: statementText(db, s.statement), why: s.why }))
  return {
    database: p.database,
    serverVersionNum: p.version,
    capabilities: p.capabilities,
    statements,
    text: scriptText(p, statements),
    notes: p.notes,
  }
}

/**
 * Plans the script in a transaction and runs it there: all of it or nothing. Pass the passwords of
 * the script that was shown, so that the logins get those. Needs a superuser (or an owner of
 * everything with CREATEROLE and admin rights on pg_monitor, pg_read_all_data and pg_signal_backend).
 */
export async function applyLeastPrivilege(db: Kysely<any>, opts: LeastPrivilegeOptions = {}): Promise<LeastPrivilegeScript> {
  return db.transaction().execute(async (trx) => {
    const p = await plan(trx, opts)
    for (const s of p.steps) await s.statement.execute(trx)
    const statements = p.steps.map((s) => ({ sql: statementText(trx, s.statement), why: s.why }))
    return { database: p.database, serverVersionNum: p.version, capabilities: p.capabilities, statements, text: scriptText(p, statements), notes: p.notes }
  })
}

/** The target URL logged in as one capability's login role. */
export function capabilityUrl(targetUrl: string, roles: Pick<CapabilityRoles, 'login' | 'password'>): string {
  const u = new URL(targetUrl)
  u.username = encodeURIComponent(roles.login)
  u.password = encodeURIComponent(roles.password)
  // user/password query parameters would win over the ones above in node-postgres.
  u.searchParams.delete('user')
  u.searchParams.delete('password')
  return u.toString()
}
