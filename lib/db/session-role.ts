import { type Kysely, sql } from 'kysely'

export interface SessionRole {
  /** The role the connection logged in as. */
  login: string
  /** The role it acts as (a login may SET ROLE at the start of each session, as the migrator does). */
  actingAs: string
}

const cached = new WeakMap<object, Promise<SessionRole>>()

/** Who a connection is on the server; read once per pool. */
export function sessionRole(db: Kysely<any>): Promise<SessionRole> {
  let found = cached.get(db)
  if (!found) {
    found = sql<SessionRole>`select session_user::text as login, current_user::text as "actingAs"`
      .execute(db)
      .then((r) => r.rows[0])
    cached.set(db, found)
    found.catch(() => cached.delete(db))
  }
  return found
}

/** `dbadmin_migrator`, or `dbadmin_migrator (as dbadmin_migration)` when it acts as another role. */
export function describeRole(role: SessionRole): string {
  return role.login === role.actingAs ? role.login : `${role.login} (as ${role.actingAs})`
}

/** The described role of a connection, or null when it cannot be read (a job records what it can). */
export async function roleOf(db: Kysely<any>): Promise<string | null> {
  try {
    return describeRole(await sessionRole(db))
  } catch {
    return null
  }
}
