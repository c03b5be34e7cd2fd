'use server'

import { action } from '@/lib/auth/action'
import { totpKey } from '@/lib/auth/totp'
import { twoFactorSpecs } from '@/lib/auth/two-factor-actions'
import { serverEnv } from '@/lib/runtime/server-env'

const specs = twoFactorSpecs(() => totpKey(serverEnv().authSecret))

export const beginEnrolmentAction = action(specs.begin)
export const confirmEnrolmentAction = action(specs.confirm)
export const disableTwoFactorAction = action(specs.disable)
export const newRecoveryCodesAction = action(specs.recoveryCodes)
