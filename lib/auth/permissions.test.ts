import { describe, expect, it } from 'vitest'
import { can, isRole, type Permission, PERMISSIONS, type Role, ROLES } from './permissions'

// The full matrix, written out: a change to who may do what must change this table too.
//                                   admin  operator viewer
const MATRIX: Record<Permission, [boolean, boolean, boolean]> = {
  'dashboard.read': /*        */ [true, true, true],
  'account.two_factor': /*    */ [true, true, true],
  'profile.edit': /*          */ [true, true, true],
  'checks.run': /*            */ [true, true, false],
  'schema.snapshot': /*       */ [true, true, false],
  'maintenance.run': /*       */ [true, true, false],
  'sessions.cancel': /*       */ [true, true, false],
  'queries.analyze': /*       */ [true, true, false],
  'backups.create': /*        */ [true, true, false],
  'migrations.apply': /*      */ [true, false, false],
  'migrations.rollback': /*   */ [true, false, false],
  'backups.restore': /*       */ [true, false, false],
  'backups.download': /*      */ [true, false, false],
  'backups.manage': /*        */ [true, false, false],
  'sessions.terminate': /*    */ [true, false, false],
  'statements.manage': /*      */ [true, false, false],
  'replication.manage': /*    */ [true, false, false],
  'users.manage': /*          */ [true, false, false],
  'data.reveal': /*           */ [true, false, false],
  'data.fix': /*              */ [true, false, false],
  'integrity.rules': /*       */ [true, false, false],
  'audit.read': /*            */ [true, false, false],
  'jobs.schedule': /*         */ [true, false, false],
  'alerts.respond': /*        */ [true, true, false],
  'alerts.manage': /*         */ [true, false, false],
  'security.read': /*         */ [true, false, false],
  'security.apply': /*        */ [true, false, false],
}
const COLUMNS: Role[] = ['admin', 'operator', 'viewer']

describe('permissions', () => {
  it('has exactly the three roles', () => {
    expect([...ROLES]).toEqual(['admin', 'operator', 'viewer'])
  })

  it('has exactly the permissions of the matrix', () => {
    expect(Object.keys(PERMISSIONS).sort()).toEqual(Object.keys(MATRIX).sort())
  })

  it.each(Object.entries(MATRIX) as [Permission, boolean[]][])('%s', (permission, row) => {
    expect(COLUMNS.map((role) => can(role, permission))).toEqual(row)
  })

  it('viewers may only read, look after their own account and keep their own settings', () => {
    const allowed = (Object.keys(PERMISSIONS) as Permission[]).filter((p) => can('viewer', p))
    expect(allowed).toEqual(['dashboard.read', 'account.two_factor', 'profile.edit'])
  })

  it('operators add checks, schema snapshots, maintenance, cancelling queries, EXPLAIN ANALYZE, creating backups and answering alerts', () => {
    const allowed = (Object.keys(PERMISSIONS) as Permission[]).filter((p) => can('operator', p))
    expect(allowed).toEqual([
      'dashboard.read',
      'account.two_factor',
      'profile.edit',
      'checks.run',
      'schema.snapshot',
      'maintenance.run',
      'sessions.cancel',
      'queries.analyze',
      'backups.create',
      'alerts.respond',
    ])
  })

  it('admins may do everything', () => {
    for (const p of Object.keys(PERMISSIONS) as Permission[]) expect(can('admin', p)).toBe(true)
  })

  it('no role means no permission', () => {
    expect(can(null, 'dashboard.read')).toBe(false)
    expect(can(undefined, 'dashboard.read')).toBe(false)
    expect(can('root' as unknown as Role, 'dashboard.read')).toBe(false)
  })

  it('isRole accepts only the three roles', () => {
    expect(ROLES.every((r) => isRole(r))).toBe(true)
    expect(isRole('Admin')).toBe(false)
    expect(isRole('')).toBe(false)
    expect(isRole(null)).toBe(false)
    expect(isRole(['admin'])).toBe(false)
  })
})
