import type { z } from 'zod'
import type { GuardedSpec } from './guarded-run'
import { generatePassword } from './passwords'
import { ChangeRoleInput, CreateUserInput, ResetPasswordInput, SetDisabledInput } from './user-inputs'
import { type AppUser, createUser, resetPassword, setUserDisabled, setUserRole } from './users'

/**
 * The user-management mutations as guarded specs: the Users page's server actions and the
 * /api/users routes are built from these, so both take the same checks and write the same audit.
 */
export const createUserSpec: GuardedSpec<typeof CreateUserInput, AppUser> = {
  name: 'users.create',
  permission: 'users.manage',
  stateTransaction: true,
  input: CreateUserInput,
  target: (i) => i.email,
  async run(ctx, input) {
    const user = await createUser(ctx.stateDb, input)
    return { message: `Created ${user.email} as ${user.role}.`, data: user }
  },
}

export const changeRoleSpec: GuardedSpec<typeof ChangeRoleInput, AppUser> = {
  name: 'users.change_role',
  permission: 'users.manage',
  stateTransaction: true,
  input: ChangeRoleInput,
  target: (i) => i.userId,
  async run(ctx, input) {
    const user = await setUserRole(ctx.stateDb, input.userId, input.role)
    return { message: `${user.email} is now ${user.role}.`, data: user, target: user.email }
  },
}

export const setDisabledSpec: GuardedSpec<typeof SetDisabledInput, AppUser> = {
  name: 'users.set_disabled',
  permission: 'users.manage',
  stateTransaction: true,
  input: SetDisabledInput,
  target: (i) => i.userId,
  async run(ctx, input: z.infer<typeof SetDisabledInput>) {
    const user = await setUserDisabled(ctx.stateDb, input.userId, input.disabled)
    return {
      message: user.disabled ? `${user.email} is disabled and signed out.` : `${user.email} is enabled.`,
      data: user,
      target: user.email,
    }
  },
}

export const resetPasswordSpec: GuardedSpec<typeof ResetPasswordInput, { email: string; generatedPassword?: string }> = {
  name: 'users.reset_password',
  permission: 'users.manage',
  stateTransaction: true,
  input: ResetPasswordInput,
  target: (i) => i.userId,
  async run(ctx, input) {
    const generated = input.password ? undefined : generatePassword()
    const user = await resetPassword(ctx.stateDb, input.userId, input.password ?? generated!)
    // The generated password goes back in `data` only: messages are written to the audit log.
    return {
      message: `Password of ${user.email} reset; their sessions have ended.`,
      data: { email: user.email, generatedPassword: generated },
      target: user.email,
    }
  },
}
