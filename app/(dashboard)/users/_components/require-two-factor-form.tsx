'use client'

import { ActionForm } from '@/components/action-form'
import { requireAdminTwoFactorAction } from '../actions'

export function RequireTwoFactorForm({ required }: { required: boolean }) {
  return (
    <ActionForm
      action={requireAdminTwoFactorAction}
      submitLabel={required ? 'Make it optional' : 'Require it for admins'}
      danger={required}
      confirmText={required ? 'Admins will be able to sign in with their password alone. Continue?' : undefined}
      testId="require-admin-two-factor"
    >
      <input type="hidden" name="required" value={required ? 'false' : 'true'} />
    </ActionForm>
  )
}
