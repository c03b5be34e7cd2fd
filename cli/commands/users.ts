import { z } from 'zod'
import { writeAudit } from '../../lib/audit/audit-log'
import { generatePassword } from '../../lib/auth/passwords'
import { ROLES } from '../../lib/auth/permissions'
import { createUser, listUsers } from '../../lib/auth/users'
import { CliError, JSON_FLAG, type ParsedArgs, stringFlag } from '../args'
import type { Command } from '../command'
import type { CliContext } from '../context'

const AddInput = z.object({
  email: z.email({ message: 'must be an e-mail address' }),
  role: z.enum(ROLES, { message: `must be one of ${ROLES.join(', ')}` }),
  password: z.string().min(12, { message: 'must be at least 12 characters' }).optional(),
  name: z.string().max(200).optional(),
})

function addInput(args: ParsedArgs): z.infer<typeof AddInput> {
  const parsed = AddInput.safeParse({
    email: stringFlag(args, 'email', true),
    role: stringFlag(args, 'role', true),
    password: stringFlag(args, 'password') ?? process.env.DBADMIN_NEW_PASSWORD,
    name: stringFlag(args, 'name'),
  })
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new CliError(`--${String(issue.path[0])} ${issue.message}`)
  }
  return parsed.data
}

/** `dbadmin user add|list`: for scripts, CI and recovering a locked-out dashboard. */
async function user(ctx: CliContext): Promise<void> {
  const sub = ctx.args.positional[1]
  if (sub === 'list') {
    const users = await listUsers(ctx.state())
    if (ctx.json) return ctx.print({ users })
    ctx.out(users.map((u) => `${u.email}\t${u.role}${u.disabled ? '\tdisabled' : ''}`).join('\n') || '(no users)')
    return
  }
  if (sub === 'add') {
    const input = addInput(ctx.args)
    const password = input.password ?? generatePassword()
    // One transaction: no user without its audit record.
    const user = await ctx.state().transaction().execute(async (trx) => {
      const created = await createUser(trx, { ...input, password })
      await writeAudit(trx, {
        actorEmail: 'cli',
        action: 'users.create',
        target: created.email,
        input: { email: created.email, role: created.role },
        result: 'ok',
        code: 'ok',
        message: 'created from the command line',
      })
      return created
    })
    if (ctx.json) return ctx.print({ user, ...(input.password ? {} : { generatedPassword: password }) })
    ctx.out(`Created ${user.email} (${user.role}).${input.password ? '' : ` Password: ${password}`}`)
    return
  }
  throw new CliError('usage: dbadmin user add --email E --role admin|operator|viewer [--password P] | dbadmin user list')
}

export const userCommand: Command = {
  help: 'user add|list [--json]      manage dashboard users',
  subcommands: {
    add: {
      flags: {
        email: { type: 'string', value: 'E', required: true },
        role: { type: 'string', value: 'admin|operator|viewer', required: true },
        password: { type: 'string', value: 'P' },
        name: { type: 'string', value: 'NAME' },
        ...JSON_FLAG,
      },
      check: (args) => void addInput(args),
      summary: 'create a dashboard user (a password is generated unless given, or DBADMIN_NEW_PASSWORD is set)',
    },
    list: { flags: JSON_FLAG, summary: 'list the dashboard users' },
  },
  run: user,
}
