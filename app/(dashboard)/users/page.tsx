import { DataTable } from '@/components/data-table'
import { requireUser } from '@/lib/auth/current-user'
import { usersWithTwoFactor } from '@/lib/auth/totp'
import { adminTwoFactorRequired } from '@/lib/auth/two-factor-policy'
import { listUsers } from '@/lib/auth/users'
import { stateDb } from '@/lib/db/server-dbs'
import { CreateUserForm } from './_components/create-user-form'
import { RequireTwoFactorForm } from './_components/require-two-factor-form'
import { UserRowActions } from './_components/user-row-actions'

export default async function UsersPage() {
  const me = await requireUser('users.manage')
  const [users, withTwoFactor, required] = await Promise.all([listUsers(stateDb()), usersWithTwoFactor(stateDb()), adminTwoFactorRequired(stateDb())])
  const adminsWithout = users.filter((u) => u.role === 'admin' && !u.disabled && !withTwoFactor.has(u.id)).length
  return (
    <>
      <h1>Users</h1>
      <div className="card" style={{ marginBottom: 20 }}>
        <h2>Add a user</h2>
        <CreateUserForm />
      </div>
      <div className="card" style={{ marginBottom: 20 }} data-testid="admin-two-factor">
        <h2>Two-factor sign-in for admins</h2>
        <p>
          {required ? (
            <>
              <span className="badge ok">required</span> Admins without it are sent to set it up before anything else
              {adminsWithout ? ` (${adminsWithout} active admin${adminsWithout === 1 ? '' : 's'} without it now)` : ''}.
            </>
          ) : (
            <>
              <span className="badge muted">optional</span> Each user may turn it on from their account page.
            </>
          )}
        </p>
        <RequireTwoFactorForm required={required} />
      </div>
      <DataTable
        label="Users"
        testId="users-table"
        rows={users}
        rowKey={(u) => u.id}
        rowProps={(u) => ({ 'data-email': u.email })}
        empty="No users. Add one above."
        columns={[
          {
            key: 'email',
            label: 'E-mail',
            cell: (u) => (
              <>
                {u.email}
                {u.id === me.id ? <span className="badge muted"> you</span> : null}
              </>
            ),
          },
          { key: 'name', label: 'Name', value: (u) => u.name },
          { key: 'role', label: 'Role', value: (u) => u.role },
          { key: 'status', label: 'Status', cell: (u) => (u.disabled ? <span className="badge bad">disabled</span> : <span className="badge ok">active</span>) },
          {
            key: 'two-factor',
            label: 'Two-factor',
            cell: (u) => (
              <span data-testid="two-factor-status" className={`badge ${withTwoFactor.has(u.id) ? 'ok' : 'muted'}`}>
                {withTwoFactor.has(u.id) ? 'on' : 'off'}
              </span>
            ),
          },
          { key: 'last-login', label: 'Last sign-in', value: (u) => u.lastLoginAt, format: 'timestamp' },
          {
            key: 'actions',
            label: 'Actions',
            cell: (u) => (
              <UserRowActions
                user={{ id: u.id, email: u.email, role: u.role, disabled: u.disabled, twoFactor: withTwoFactor.has(u.id), self: u.id === me.id }}
              />
            ),
          },
        ]}
      />
    </>
  )
}
