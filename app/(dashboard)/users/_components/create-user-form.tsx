'use client'

import { ActionForm, FieldError } from '@/components/action-form'
import { ROLES } from '@/lib/auth/permissions'
import { createUserAction } from '../actions'

export function CreateUserForm() {
  return (
    <ActionForm action={createUserAction} submitLabel="Create user" className="row" resetOnSuccess testId="create-user">
      <label>
        E-mail
        <input name="email" type="email" required />
        <FieldError name="email" />
      </label>
      <label>
        Name
        <input name="name" />
        <FieldError name="name" />
      </label>
      <label>
        Role
        <select name="role" defaultValue="viewer">
          {ROLES.map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
        <FieldError name="role" />
      </label>
      <label>
        Password (12+ characters)
        <input name="password" type="password" minLength={12} required autoComplete="new-password" />
        <FieldError name="password" />
      </label>
    </ActionForm>
  )
}
