/**
 * Who may do what. The one place roles meet actions: the action wrapper, the navigation and the
 * pages all ask `can(role, permission)`.
 * viewers read (and EXPLAIN without running); operators also run checks, maintenance, backups and
 * EXPLAIN ANALYZE, and cancel queries; admins also apply and roll back migrations, restore and
 * download backups, terminate sessions, reset query statistics, create pg_stat_statements and manage users.
 */
export const ROLES = ['admin', 'operator', 'viewer'] as const
export type Role = (typeof ROLES)[number]

export const PERMISSIONS = {
  'dashboard.read': ['admin', 'operator', 'viewer'],
  /** One's own account: two-factor sign-in. */
  'account.two_factor': ['admin', 'operator', 'viewer'],
  // Each user's own settings (the colour theme): never anyone else's.
  'profile.edit': ['admin', 'operator', 'viewer'],
  'checks.run': ['admin', 'operator'],
  'schema.snapshot': ['admin', 'operator'],
  'maintenance.run': ['admin', 'operator'],
  'sessions.cancel': ['admin', 'operator'],
  'queries.analyze': ['admin', 'operator'],
  'backups.create': ['admin', 'operator'],
  'migrations.apply': ['admin'],
  'migrations.rollback': ['admin'],
  'backups.restore': ['admin'],
  'backups.download': ['admin'],
  // Deleting, uploading and pruning backups.
  'backups.manage': ['admin'],
  'sessions.terminate': ['admin'],
  'statements.manage': ['admin'],
  // Dropping an inactive replication slot (its standby or subscriber must then be re-seeded).
  'replication.manage': ['admin'],
  'users.manage': ['admin'],
  'data.reveal': ['admin'],
  'data.fix': ['admin'],
  'integrity.rules': ['admin'],
  'audit.read': ['admin'],
  // When unattended jobs (the daily integrity run) fire: admins change the schedules.
  'jobs.schedule': ['admin'],
  // Acknowledging a firing alert, silencing a rule's notifications for a while.
  'alerts.respond': ['admin', 'operator'],
  // Alert thresholds, durations, severities, and where notifications go.
  'alerts.manage': ['admin'],
  // The target's roles, grants and authentication, and the least-privilege setup script (its passwords).
  'security.read': ['admin'],
  // Running the least-privilege script on the target: roles made, object owners changed.
  'security.apply': ['admin'],
} as const satisfies Record<string, readonly Role[]>

export type Permission = keyof typeof PERMISSIONS

export function can(role: Role | null | undefined, permission: Permission): boolean {
  return !!role && (PERMISSIONS[permission] as readonly Role[]).includes(role)
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value)
}
