import { type Kysely, sql } from 'kysely'
import { generatePassword } from '../auth/passwords'
import type { DefinerFunction } from './definer-functions'
import { type HbaResult, hbaRuleIsLocal } from './hba'
import type { PublicRights } from './privileges'
import type { RolesResult } from './roles'
import type { RowSecurityTable } from './row-security'
import { scramVerifier } from '../db/scram-verifier'
import { statementText } from './sql-text'
import type { ClientConnection, ServerSecuritySettings } from './transport'

export type Severity = 'critical' | 'high' | 'medium' | 'low'

export const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3 }

export type SecurityCheck =
  | 'superuser_login'
  | 'superuser_sessions'
  | 'md5_password'
  | 'login_without_password'
  | 'password_encryption_md5'
  | 'trust_remote'
  | 'cleartext_password_remote'
  | 'public_create_schema'
  | 'public_create_database'
  | 'ssl_off'
  | 'connection_without_ssl'
  | 'bypassrls_no_expiry'
  | 'definer_without_search_path'
  | 'rls_policies_disabled'

export interface SecurityFinding {
  check: SecurityCheck
  /** Stable identity: the check and its subject. */
  key: string
  severity: Severity
  title: string
  /** The role, schema, function, table, rule or connection group concerned. */
  subject: string
  why: string
  /** The exact SQL that removes the finding, identifiers quoted, to show and copy; null when the fix is outside SQL. */
  fix: string | null
  /**
   * The same statements one by one, for running: ALTER SYSTEM, for one, refuses to run inside the
   * implicit transaction of a multi-statement query.
   */
  fixStatements: string[]
  /** What to do besides (or instead of) the SQL, and what the SQL changes for users of the object. */
  fixNote: string | null
  /**
   * For fixes that set a password: the new password, generated for this report. The SQL holds only
   * its SCRAM verifier; show this once to whoever applies the fix, and leave it out of logs and
   * machine-readable output unless asked.
   */
  newPassword?: string
}

export interface FindingFacts {
  database: string
  settings: ServerSecuritySettings
  roles: RolesResult
  publicRights: PublicRights
  connections: ClientConnection[]
  hba: HbaResult
  definerFunctions: DefinerFunction[]
  rowSecurity: RowSecurityTable[]
}

const q = (name: string) => `"${name.replace(/"/g, '""')}"`

function make(f: Omit<SecurityFinding, 'key' | 'fix' | 'fixStatements'> & { fix: string | string[] | null }): SecurityFinding {
  const fixStatements = f.fix === null ? [] : Array.isArray(f.fix) ? f.fix : [f.fix]
  return { key: `${f.check}:${f.subject}`, ...f, fix: fixStatements.length ? fixStatements.join('\n') : null, fixStatements }
}

/** ALTER ROLE … PASSWORD with the verifier of a new generated password. */
function newPasswordFix(db: Kysely<any>, role: string): { fix: string; newPassword: string } {
  const newPassword = generatePassword(24)
  return { fix: statementText(db, sql`ALTER ROLE ${sql.id(role)} PASSWORD ${sql.lit(scramVerifier(newPassword))}`), newPassword }
}

function roleFindings(db: Kysely<any>, facts: FindingFacts): SecurityFinding[] {
  const out: SecurityFinding[] = []
  for (const r of facts.roles.roles) {
    if (r.predefined) continue
    if (r.superuser && r.canLogin && !r.bootstrap) {
      out.push(make({
        check: 'superuser_login',
        severity: 'high',
        title: `Role ${q(r.name)} can log in as a superuser`,
        subject: r.name,
        why: 'A superuser passes every permission check, reads and writes server files and runs programs as the server\'s operating-system user (COPY … TO PROGRAM). An application or person logging in with it turns one stolen password or one SQL injection into control of the whole server.',
        fix: statementText(db, sql`ALTER ROLE ${sql.id(r.name)} NOSUPERUSER`),
        fixNote: 'Give the role what its work needs instead: ownership of its schema, or pg_read_all_data / pg_write_all_data, or the capability roles of the least-privilege script.',
      }))
    }
    if (r.password === 'md5') {
      out.push(make({
        check: 'md5_password',
        severity: 'medium',
        title: `Role ${q(r.name)} has an MD5 password`,
        subject: r.name,
        why: 'An MD5 hash is salted only with the role name and is itself enough to log in with the md5 method: anyone who reads pg_authid or a backup can sign in as the role. SCRAM-SHA-256 stores a verifier that cannot be replayed. PostgreSQL cannot convert a hash: the password must be set again.',
        ...newPasswordFix(db, r.name),
        fixNote: 'The server cannot turn an MD5 hash into SCRAM: this sets a new, generated password (only its SCRAM verifier is in the SQL). Give it to whatever connects as this role before running the statement.',
      }))
    }
    if (r.password === 'none' && r.canLogin && !r.bootstrap) {
      // The bootstrap superuser without a password is the packaged default, reached by peer
      // authentication on the server itself; giving it one would open password logins instead.
      out.push(make({
        check: 'login_without_password',
        severity: 'medium',
        title: `Role ${q(r.name)} can log in without a password`,
        subject: r.name,
        why: 'A login role without a password is reached through trust, peer, ident or certificate rules only; if pg_hba.conf has (or later gets) a trust rule that matches it, anyone can connect as it.',
        ...newPasswordFix(db, r.name),
        fixNote: 'Sets a new, generated password (only its SCRAM verifier is in the SQL). If nothing should log in as this role, run ALTER ROLE … NOLOGIN instead.',
      }))
    }
    if (r.bypassRls && r.canLogin && !r.superuser && r.validUntil === null) {
      out.push(make({
        check: 'bypassrls_no_expiry',
        severity: 'medium',
        title: `Role ${q(r.name)} bypasses row-level security and never expires`,
        subject: r.name,
        why: 'BYPASSRLS ignores every row-level security policy. A login role with it and no VALID UNTIL keeps that power for as long as its password is valid, usually long after the task that needed it.',
        fix: statementText(db, sql`ALTER ROLE ${sql.id(r.name)} NOBYPASSRLS`),
        fixNote: 'If the role needs it for a task (e.g. a dump), give it an expiry instead: ALTER ROLE … VALID UNTIL \'<date>\'.',
      }))
    }
  }
  if (facts.settings.passwordEncryption === 'md5') {
    out.push(make({
      check: 'password_encryption_md5',
      severity: 'medium',
      title: 'New passwords are stored as MD5',
      subject: 'password_encryption',
      why: 'password_encryption = md5 stores every password set from now on as a replayable MD5 hash.',
      fix: ["ALTER SYSTEM SET password_encryption = 'scram-sha-256';", 'SELECT pg_reload_conf();'],
      fixNote: 'Existing MD5 passwords stay until they are set again.',
    }))
  }
  return out
}

function hbaFindings(facts: FindingFacts): SecurityFinding[] {
  if (!facts.hba.readable) return []
  const out: SecurityFinding[] = []
  for (const rule of facts.hba.rules) {
    if (rule.type === 'local' || hbaRuleIsLocal(rule) || rule.error) continue
    const where = `${rule.file ?? 'pg_hba.conf'}, line ${rule.line}`
    const matches = `${rule.type} ${rule.databases.join(',')} ${rule.users.join(',')} ${rule.address ?? ''}${rule.netmask ? ' ' + rule.netmask : ''}`
    if (rule.method === 'trust') {
      out.push(make({
        check: 'trust_remote',
        severity: 'critical',
        title: `pg_hba.conf lets connections from the network in without a password (${where})`,
        subject: `${where}: ${matches}`,
        why: 'trust accepts any connection that matches the rule, for any role it names, without a password: whoever can reach the port can log in, as a superuser if the rule allows it.',
        fix: 'SELECT pg_reload_conf();',
        fixNote: `In ${where}, replace "trust" by "scram-sha-256" (after giving each role that connects this way a password), then reload the configuration with the SQL.`,
      }))
    } else if (rule.method === 'password' && rule.type !== 'hostssl') {
      out.push(make({
        check: 'cleartext_password_remote',
        severity: 'high',
        title: `pg_hba.conf sends passwords in clear text over the network (${where})`,
        subject: `${where}: ${matches}`,
        why: 'The password method sends the password itself; on a connection without SSL anyone on the path reads it.',
        fix: 'SELECT pg_reload_conf();',
        fixNote: `In ${where}, replace "password" by "scram-sha-256" (and "${rule.type}" by "hostssl" to require encryption), then reload the configuration with the SQL.`,
      }))
    }
  }
  return out
}

function transportFindings(facts: FindingFacts): SecurityFinding[] {
  const out: SecurityFinding[] = []
  const remotePlain = facts.connections.filter((c) => c.remote && c.ssl === false)
  if (!facts.settings.ssl) {
    out.push(make({
      check: 'ssl_off',
      severity: remotePlain.length > 0 ? 'high' : 'medium',
      title: 'The server does not offer SSL',
      subject: 'ssl',
      why: 'Without SSL every connection sends its queries, results and (for the password method) passwords in clear text; anyone on the network path can read or change them.',
      fix: ['ALTER SYSTEM SET ssl = on;', 'SELECT pg_reload_conf();'],
      fixNote: 'Needs a certificate and key first: ssl_cert_file and ssl_key_file (server.crt and server.key in the data directory by default, the key readable only by the server). Then have clients connect with sslmode=verify-full.',
    }))
  }
  const groups = new Map<string, ClientConnection[]>()
  for (const c of remotePlain) {
    const key = `${c.user ?? '?'}@${c.clientAddress}`
    groups.set(key, [...(groups.get(key) ?? []), c])
  }
  for (const [subject, conns] of groups) {
    out.push(make({
      check: 'connection_without_ssl',
      severity: 'high',
      title: `${conns.length} connection${conns.length === 1 ? '' : 's'} from the network without SSL (${subject})`,
      subject,
      why: 'This connection crosses a network unencrypted: its queries, results and credentials can be read and altered on the way.',
      fix: null,
      fixNote: `${facts.settings.ssl ? '' : 'Turn SSL on first (see the ssl finding). '}Connect ${conns[0].applicationName ? `"${conns[0].applicationName}" ` : ''}with sslmode=verify-full, and require it on the server by using hostssl instead of host in pg_hba.conf for this address.`,
    }))
  }
  const superuserApps = new Map<string, Set<string>>()
  for (const c of facts.connections) {
    if (!c.superuser || c.current || c.user === null) continue
    superuserApps.set(c.user, (superuserApps.get(c.user) ?? new Set()).add(c.applicationName || 'unnamed client'))
  }
  for (const [user, apps] of superuserApps) {
    out.push(make({
      check: 'superuser_sessions',
      severity: 'medium',
      title: `Sessions are logged in as superuser ${q(user)}`,
      subject: user,
      why: `Applications connected as a superuser (${[...apps].sort().join(', ')}) can do anything on the server; a flaw in any of them is a flaw of the whole server.`,
      fix: null,
      fixNote: 'Give each application its own role with only the rights it needs (the least-privilege script creates such roles for this dashboard), and keep the superuser for administration.',
    }))
  }
  return out
}

function objectFindings(db: Kysely<any>, facts: FindingFacts): SecurityFinding[] {
  const out: SecurityFinding[] = []
  for (const s of facts.publicRights.schemas) {
    if (!s.privileges.includes('CREATE')) continue
    out.push(make({
      check: 'public_create_schema',
      severity: 'high',
      title: `Every role can create objects in schema ${q(s.schema)}`,
      subject: s.schema,
      why: 'With CREATE for PUBLIC any role, including ones made later, can add functions and operators to this schema that shadow the ones other users call by unqualified name (CVE-2018-1058), and fill it with objects. PostgreSQL 15 stopped granting it on public by default.',
      fix: statementText(db, sql`REVOKE CREATE ON SCHEMA ${sql.id(s.schema)} FROM PUBLIC`),
      fixNote: 'Grant CREATE to the roles that really create objects here (usually the schema owner already can).',
    }))
  }
  if (facts.publicRights.database.privileges.includes('CREATE')) {
    const name = facts.publicRights.database.name
    out.push(make({
      check: 'public_create_database',
      severity: 'medium',
      title: `Every role can create schemas in database ${q(name)}`,
      subject: name,
      why: 'CREATE on the database for PUBLIC lets any role create schemas (and so any objects) in it.',
      fix: statementText(db, sql`REVOKE CREATE ON DATABASE ${sql.id(name)} FROM PUBLIC`),
      fixNote: null,
    }))
  }
  for (const f of facts.definerFunctions) {
    if (f.searchPath !== null) continue
    const routine = sql`${sql.id(f.schema, f.name)}(${sql.join(f.argTypes.map((t) => sql.id(t.schema, t.name)))})`
    out.push(make({
      check: 'definer_without_search_path',
      severity: f.ownerIsSuperuser ? 'critical' : 'high',
      title: `SECURITY DEFINER ${f.kind} ${q(f.schema)}.${f.signature} has no fixed search_path`,
      subject: `${f.schema}.${f.signature}`,
      why: `It runs with the rights of ${q(f.owner)}${f.ownerIsSuperuser ? ' (a superuser)' : ''} but looks names up through the caller's search_path: a caller who can create an object with a name it uses (an operator, a function, a table) earlier on that path runs their own code with those rights.`,
      fix: statementText(db, sql`ALTER ROUTINE ${routine} SET search_path = ${sql.id(f.schema)}, pg_temp`),
      fixNote: `${f.extension ? `It belongs to the extension ${q(f.extension)}: an update of the extension may reset it. ` : ''}pg_temp last stops temporary objects from shadowing names. If the body uses objects of other schemas, qualify them or add those schemas (ones untrusted roles cannot create in) to the path.`,
    }))
  }
  for (const t of facts.rowSecurity) {
    if (t.enabled || t.policies.length === 0) continue
    out.push(make({
      check: 'rls_policies_disabled',
      severity: 'high',
      title: `Table ${q(t.schema)}.${q(t.table)} has row-level security policies that are not applied`,
      subject: `${t.schema}.${t.table}`,
      why: `It has ${t.policies.length} polic${t.policies.length === 1 ? 'y' : 'ies'}, but row-level security is disabled on the table, so every role with SELECT sees every row: the policies suggest a protection that does not exist.`,
      fix: statementText(db, sql`ALTER TABLE ${sql.id(t.schema, t.table)} ENABLE ROW LEVEL SECURITY`),
      fixNote: `Roles without a matching policy then see no rows at all; the owner ${q(t.owner)} is still exempt unless FORCE ROW LEVEL SECURITY is set too.`,
    }))
  }
  return out
}

/** Every risky finding in the facts, most severe first; each with why it matters and how to fix it. */
export function securityFindings(db: Kysely<any>, facts: FindingFacts): SecurityFinding[] {
  return [...roleFindings(db, facts), ...hbaFindings(facts), ...transportFindings(facts), ...objectFindings(db, facts)].sort(
    (a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || a.check.localeCompare(b.check) || a.subject.localeCompare(b.subject),
  )
}
