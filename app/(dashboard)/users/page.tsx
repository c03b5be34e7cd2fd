import { requireUser } from '@/lib/auth/current-user'
import { usersWithTwoFactor } from '@/lib/auth/totp'
import { adminTwoFactorRequired } from '@/lib/auth/two-factor-policy'
import { listUsers } from '@/lib/auth/users'
import { stateDb } from '@/lib/db/server-dbs'
import { formatTimestamp } from '@/lib/format/units'
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
      <table className="data" data-testid="users-table">
        <thead>
          <tr>
            <th>E-mail</th>
            <th>Name</th>
            <th>Role</th>
            <th>Status</th>
            <th>Two-factor</th>
            <th>Last sign-in</th>
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.id} data-email={u.email}>
              <td>
                {u.email}
                {u.id === me.id ? <span className="badge muted"> you</span> : null}
              </td>
              <td>{u.name}</td>
              <td>{u.role}</td>
              <td>{u.disabled ? <span className="badge bad">disabled</span> : <span className="badge ok">active</span>}</td>
              <td data-testid="two-factor-status">{withTwoFactor.has(u.id) ? <span className="badge ok">on</span> : <span className="badge muted">off</span>}</td>
              <td className="muted">{formatTimestamp(u.lastLoginAt)}</td>
              <td>
                <UserRowActions
                  user={{ id: u.id, email: u.email, role: u.role, disabled: u.disabled, twoFactor: withTwoFactor.has(u.id), self: u.id === me.id }}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  )
}
