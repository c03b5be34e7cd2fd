import { requireUser } from '@/lib/auth/current-user'
import { listUsers } from '@/lib/auth/users'
import { stateDb } from '@/lib/db/server-dbs'
import { formatTimestamp } from '@/lib/format/units'
import { CreateUserForm } from './_components/create-user-form'
import { UserRowActions } from './_components/user-row-actions'

export default async function UsersPage() {
  const me = await requireUser('users.manage')
  const users = await listUsers(stateDb())
  return (
    <>
      <h1>Users</h1>
      <div className="card" style={{ marginBottom: 20 }}>
        <h2>Add a user</h2>
        <CreateUserForm />
      </div>
      <table className="data" data-testid="users-table">
        <thead>
          <tr>
            <th>E-mail</th>
            <th>Name</th>
            <th>Role</th>
            <th>Status</th>
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
              <td className="muted">{formatTimestamp(u.lastLoginAt)}</td>
              <td>
                <UserRowActions user={{ id: u.id, email: u.email, role: u.role, disabled: u.disabled }} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  )
}
