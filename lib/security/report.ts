import { type Kysely, sql } from 'kysely'
import { type DefinerFunction, securityDefinerFunctions } from './definer-functions'
import { type SecurityFinding, securityFindings } from './findings'
import { type HbaResult, readHbaRules } from './hba'
import {
  type DefaultPrivilege,
  type PrivilegeGrid,
  type PublicRights,
  defaultPrivileges,
  publicRights,
  schemaPrivilegeGrid,
  tablePrivilegeGrid,
} from './privileges'
import { type RolesResult, listRoles } from './roles'
import { type RowSecurityTable, rowSecurityTables } from './row-security'
import { type ClientConnection, type ServerSecuritySettings, clientConnections, serverSecuritySettings } from './transport'

export interface SecurityReport {
  database: string
  /** The role this report was read as: what it could not see is listed in `notes`. */
  sessionUser: string
  sessionUserIsSuperuser: boolean
  settings: ServerSecuritySettings
  roles: RolesResult
  tablePrivileges: PrivilegeGrid
  schemaPrivileges: PrivilegeGrid
  defaultPrivileges: DefaultPrivilege[]
  publicRights: PublicRights
  connections: ClientConnection[]
  hba: HbaResult
  definerFunctions: DefinerFunction[]
  rowSecurity: RowSecurityTable[]
  findings: SecurityFinding[]
  /** What this role could not read, so the report says what it does not cover. */
  notes: string[]
}

/** The report without the table grid, which the Security page reads a page at a time (tablePrivilegePage). */
export type SecurityOverview = Omit<SecurityReport, 'tablePrivileges'>

/**
 * Everything the Security page shows about the target: the cluster's roles, authentication and
 * encryption, and the current database's grants, SECURITY DEFINER functions and row security,
 * with the findings that follow from them. Works as any role; reading as a superuser sees most.
 */
export async function securityReport(db: Kysely<any>): Promise<SecurityReport> {
  const [overview, tablePrivileges] = await Promise.all([securityOverview(db), tablePrivilegeGrid(db)])
  return { ...overview, tablePrivileges }
}

/** securityReport but for the privileges of tables, views and sequences. */
export async function securityOverview(db: Kysely<any>): Promise<SecurityOverview> {
  const { rows } = await sql<{ database: string; session_user: string; superuser: boolean }>`
    select current_database()::text as database, session_user::text as session_user,
      (select rolsuper from pg_catalog.pg_roles where rolname = session_user) as superuser
  `.execute(db)
  const [settings, roles, schemaPrivileges, defaults, rights, connections, hba, definers, rowSecurity] = await Promise.all([
    serverSecuritySettings(db),
    listRoles(db),
    schemaPrivilegeGrid(db),
    defaultPrivileges(db),
    publicRights(db),
    clientConnections(db),
    readHbaRules(db),
    securityDefinerFunctions(db),
    rowSecurityTables(db),
  ])
  const notes: string[] = []
  if (!roles.passwordsReadable) {
    notes.push('Password checks (MD5, no password) need a superuser: pg_authid could not be read, so they were skipped.')
  }
  if (!hba.readable) notes.push(`pg_hba.conf rules were not checked: ${hba.reason}.`)
  if (connections.some((c) => c.ssl === null)) {
    notes.push('Some sessions of other roles are hidden from this role (it needs pg_read_all_stats): their encryption was not checked.')
  }
  const facts = { database: rows[0].database, settings, roles, publicRights: rights, connections, hba, definerFunctions: definers, rowSecurity }
  return {
    database: rows[0].database,
    sessionUser: rows[0].session_user,
    sessionUserIsSuperuser: rows[0].superuser,
    settings,
    roles,
    schemaPrivileges,
    defaultPrivileges: defaults,
    publicRights: rights,
    connections,
    hba,
    definerFunctions: definers,
    rowSecurity,
    findings: securityFindings(db, facts),
    notes,
  }
}
