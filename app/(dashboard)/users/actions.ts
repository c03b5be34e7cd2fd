'use server'

import { revalidatePath } from 'next/cache'
import { action } from '@/lib/auth/action'
import { totpKey } from '@/lib/auth/totp'
import { twoFactorSpecs } from '@/lib/auth/two-factor-actions'
import { changeRoleSpec, createUserSpec, resetPasswordSpec, setDisabledSpec } from '@/lib/auth/user-actions'
import { serverEnv } from '@/lib/runtime/server-env'
import type { GuardedSpec } from '@/lib/auth/guarded-run'
import type { z } from 'zod'

function refreshingUsers<S extends z.ZodType, T>(spec: GuardedSpec<S, T>): GuardedSpec<S, T> {
  return {
    ...spec,
    async run(ctx, input) {
      const outcome = await spec.run(ctx, input)
      revalidatePath('/users')
      return outcome
    },
  }
}

export const createUserAction = action(refreshingUsers(createUserSpec))
export const changeRoleAction = action(refreshingUsers(changeRoleSpec))
export const setDisabledAction = action(refreshingUsers(setDisabledSpec))
export const resetPasswordAction = action(refreshingUsers(resetPasswordSpec))

const twoFactor = twoFactorSpecs(() => totpKey(serverEnv().authSecret))
export const resetTwoFactorAction = action(refreshingUsers(twoFactor.resetOther))
export const requireAdminTwoFactorAction = action(refreshingUsers(twoFactor.requireForAdmins))
