import { DataTable } from '@/components/data-table'
import { requireUser } from '@/lib/auth/current-user'
import { listUsers } from '@/lib/auth/users'
import { stateDb } from '@/lib/db/server-dbs'
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
          { key: 'last-login', label: 'Last sign-in', value: (u) => u.lastLoginAt, format: 'timestamp' },
          { key: 'actions', label: 'Actions', cell: (u) => <UserRowActions user={{ id: u.id, email: u.email, role: u.role, disabled: u.disabled }} /> },
        ]}
      />
    </>
  )
}
