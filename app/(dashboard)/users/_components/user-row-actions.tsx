'use client'

import { ActionForm, FieldError } from '@/components/action-form'
import { ROLES, type Role } from '@/lib/auth/permissions'
import { changeRoleAction, resetPasswordAction, resetTwoFactorAction, setDisabledAction } from '../actions'

interface Props {
  user: { id: string; email: string; role: Role; disabled: boolean; twoFactor: boolean; self: boolean }
}

export function UserRowActions({ user }: Props) {
  return (
    <div style={{ display: 'grid', gap: 6 }}>
      <ActionForm action={changeRoleAction} submitLabel="Change role" testId="change-role">
        <input type="hidden" name="userId" value={user.id} />
        <select name="role" defaultValue={user.role} aria-label={`Role of ${user.email}`}>
          {ROLES.map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
      </ActionForm>
      <ActionForm
        action={setDisabledAction}
        submitLabel={user.disabled ? 'Enable' : 'Disable'}
        danger={!user.disabled}
        confirmText={user.disabled ? undefined : `Disable ${user.email}? They are signed out at once.`}
        testId="set-disabled"
      >
        <input type="hidden" name="userId" value={user.id} />
        <input type="hidden" name="disabled" value={user.disabled ? 'false' : 'true'} />
      </ActionForm>
      <ActionForm
        action={resetPasswordAction}
        submitLabel="Reset password"
        resetOnSuccess
        testId="reset-password"
        renderData={(d) =>
          d.generatedPassword ? (
            <>
              {' '}
              New password (shown once): <code data-testid="generated-password">{d.generatedPassword}</code>
            </>
          ) : null
        }
      >
        <input type="hidden" name="userId" value={user.id} />
        <input
          name="password"
          type="password"
          placeholder="blank: generate one"
          autoComplete="new-password"
          aria-label={`New password for ${user.email}`}
        />
        <FieldError name="password" />
      </ActionForm>
      {user.twoFactor && !user.self ? (
        <ActionForm
          action={resetTwoFactorAction}
          submitLabel="Reset two-factor"
          danger
          confirmText={`Reset the two-factor sign-in of ${user.email}? Their password alone will sign them in until they enrol again.`}
          testId="reset-two-factor"
        >
          <input type="hidden" name="userId" value={user.id} />
        </ActionForm>
      ) : null}
    </div>
  )
}
