import { z } from 'zod'
import { writeAudit } from '../../lib/audit/audit-log'
import { generatePassword } from '../../lib/auth/passwords'
import { ROLES } from '../../lib/auth/permissions'
import { createUser, listUsers } from '../../lib/auth/users'
import { CliError, JSON_FLAG, stringFlag } from '../args'
import type { Command } from '../command'
import type { CliContext } from '../context'

const AddInput = z.object({
  email: z.email({ message: 'must be an e-mail address' }),
  role: z.enum(ROLES, { message: `must be one of ${ROLES.join(', ')}` }),
  password: z.string().min(12, { message: 'must be at least 12 characters' }).optional(),
  name: z.string().max(200).optional(),
})

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
    const parsed = AddInput.safeParse({
      email: stringFlag(ctx.args, 'email', true),
      role: stringFlag(ctx.args, 'role', true),
      password: stringFlag(ctx.args, 'password') ?? process.env.DBADMIN_NEW_PASSWORD,
      name: stringFlag(ctx.args, 'name'),
    })
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      throw new CliError(`--${String(issue.path[0])} ${issue.message}`)
    }
    const password = parsed.data.password ?? generatePassword()
    // One transaction: no user without its audit record.
    const user = await ctx.state().transaction().execute(async (trx) => {
      const created = await createUser(trx, { ...parsed.data, password })
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
    if (ctx.json) return ctx.print({ user, ...(parsed.data.password ? {} : { generatedPassword: password }) })
    ctx.out(`Created ${user.email} (${user.role}).${parsed.data.password ? '' : ` Password: ${password}`}`)
    return
  }
  throw new CliError('usage: dbadmin user add --email E --role admin|operator|viewer [--password P] | dbadmin user list')
}

export const userCommand: Command = {
  help: 'user add|list [--json]      manage dashboard users',
  subcommands: {
    add: {
      flags: {
        email: { type: 'string', value: 'E' },
        role: { type: 'string', value: 'admin|operator|viewer' },
        password: { type: 'string', value: 'P' },
        name: { type: 'string', value: 'NAME' },
        ...JSON_FLAG,
      },
      summary: 'create a dashboard user (a password is generated unless given, or DBADMIN_NEW_PASSWORD is set)',
    },
    list: { flags: JSON_FLAG, summary: 'list the dashboard users' },
  },
  run: user,
}
