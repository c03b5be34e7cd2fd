'use client'

import { ActionForm } from '@/components/action-form'
import { ROLES } from '@/lib/auth/permissions'
import { createUserAction } from '../actions'

export function CreateUserForm() {
  return (
    <ActionForm action={createUserAction} submitLabel="Create user" className="row" resetOnSuccess testId="create-user">
      <label>
        E-mail
        <input name="email" type="email" required />
      </label>
      <label>
        Name
        <input name="name" />
      </label>
      <label>
        Role
        <select name="role" defaultValue="viewer">
          {ROLES.map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
      </label>
      <label>
        Password (12+ characters)
        <input name="password" type="password" minLength={12} required autoComplete="new-password" />
      </label>
    </ActionForm>
  )
}
