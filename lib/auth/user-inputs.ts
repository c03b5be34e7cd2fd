import { z } from 'zod'
import { ROLES } from './permissions'

/** Input shapes for user management, shared by the Users page, the API and the CLI. */
const userId = z.string().uuid({ message: 'is not a user id' })
const password = z.string().min(12, { message: 'must be at least 12 characters' }).max(200)

export const CreateUserInput = z.object({
  email: z.email({ message: 'must be an e-mail address' }).max(320),
  name: z.string().trim().max(200).optional().default(''),
  role: z.enum(ROLES, { message: `must be one of ${ROLES.join(', ')}` }),
  password,
})

export const ChangeRoleInput = z.object({ userId, role: z.enum(ROLES, { message: `must be one of ${ROLES.join(', ')}` }) })

export const SetDisabledInput = z.object({
  userId,
  disabled: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]),
})

/** An empty password asks for a generated one. */
export const ResetPasswordInput = z.object({
  userId,
  password: z.union([z.literal('').transform(() => undefined), password]).optional(),
})
