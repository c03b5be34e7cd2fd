'use server'

import { revalidatePath } from 'next/cache'
import { z } from 'zod'
import { action } from '@/lib/auth/action'
import { ActionError } from '@/lib/auth/action-result'
import { loadConfig } from '@/lib/config'
import { targetIdentity } from '@/lib/db/target-identity'
import { deleteCustomRule, RULE_LIMITS, saveCustomRule } from '@/lib/integrity/custom-rules'
import { deleteEnumSet, saveEnumSet } from '@/lib/integrity/enum-sets'
import { deleteRoleRule, saveRoleRule } from '@/lib/integrity/role-rules'
import { integrityTargetDb, ruleReader } from '@/lib/db/server-dbs'
import { commaList, emptyAsMissing, id, name } from './inputs'

// Only action()-built functions are exported from this file: a unit test runs each as every role.

const RuleInput = z.object({
  id: z.preprocess(emptyAsMissing, id.optional()),
  name,
  description: z.preprocess(emptyAsMissing, z.string().trim().max(500, { message: 'must be at most 500 characters' }).optional()),
  query: z
    .string({ message: 'write a SELECT that returns the violating rows' })
    .trim()
    .min(1, { message: 'write a SELECT that returns the violating rows' })
    .max(RULE_LIMITS.maxQueryLength, { message: `must be at most ${RULE_LIMITS.maxQueryLength} characters` }),
  enabled: z.preprocess((v) => v === true || v === 'on' || v === 'true', z.boolean()),
})

/**
 * Admins' own rules: saved only after one run as the read-only rule reader, under the check
 * timeout, succeeds. PostgreSQL's message is shown and audited cut to its first line.
 */
export const saveRuleAction = action({
  name: 'integrity.rule.save',
  permission: 'integrity.rules',
  input: RuleInput,
  target: (input) => input.name,
  async run(ctx, input) {
    const { rule, count } = await saveCustomRule(
      ruleReader(),
      ctx.stateDb,
      { ...input, by: ctx.user.email, targetKey: (await targetIdentity(integrityTargetDb())).key },
      loadConfig().INTEGRITY_CHECK_TIMEOUT_MS,
    )
    revalidatePath('/integrity')
    return { message: `Rule "${rule.name}" saved; it finds ${count} row${count === 1 ? '' : 's'} now.`, target: rule.name }
  },
})

export const deleteRuleAction = action({
  name: 'integrity.rule.delete',
  permission: 'integrity.rules',
  input: z.object({ id }),
  target: (input) => String(input.id),
  async run(ctx, input) {
    if (!(await deleteCustomRule(ctx.stateDb, input.id, (await targetIdentity(integrityTargetDb())).key))) throw new ActionError('not_found', `There is no rule #${input.id}.`)
    revalidatePath('/integrity')
    return { message: 'Rule deleted.' }
  },
})

const EnumSetInput = z.object({
  schema: name,
  table: name,
  column: name,
  values: commaList('the allowed values', 'value', 500),
})

/** Declares the allowed values of a text column, checked like an enum (operators and admins). */
export const saveEnumSetAction = action({
  name: 'integrity.enum_set.save',
  permission: 'checks.run',
  input: EnumSetInput,
  target: (input) => `${input.schema}.${input.table}.${input.column}`,
  async run(ctx, input) {
    await saveEnumSet(integrityTargetDb(), ctx.stateDb, { ...input, by: ctx.user.email })
    revalidatePath('/integrity')
    return { message: `${input.table}.${input.column} is now checked against ${input.values.length} value${input.values.length === 1 ? '' : 's'}.` }
  },
})

export const deleteEnumSetAction = action({
  name: 'integrity.enum_set.delete',
  permission: 'checks.run',
  input: z.object({ id }),
  target: (input) => String(input.id),
  async run(ctx, input) {
    if (!(await deleteEnumSet(ctx.stateDb, input.id, (await targetIdentity(integrityTargetDb())).key))) throw new ActionError('not_found', `There is no value set #${input.id}.`)
    revalidatePath('/integrity')
    return { message: 'Value set removed.' }
  },
})

const RoleRuleInput = z.object({
  table: name,
  column: name,
  what: z.string().trim().min(1, { message: 'say what the rows are, e.g. "meetings created"' }).max(200, { message: 'must be at most 200 characters' }),
  allowed: commaList('the allowed roles', 'role', 100),
})

/** Which roles may own which rows (checked on every run): operators and admins edit them. */
export const saveRoleRuleAction = action({
  name: 'integrity.role_rule.save',
  permission: 'checks.run',
  input: RoleRuleInput,
  target: (input) => `${input.table}.${input.column}`,
  async run(ctx, input) {
    await saveRoleRule(integrityTargetDb(), ctx.stateDb, { ...input, by: ctx.user.email })
    revalidatePath('/integrity')
    return { message: `Owners of ${input.table}.${input.column} may be: ${input.allowed.map((a) => a.toUpperCase()).join(', ')}.` }
  },
})

export const deleteRoleRuleAction = action({
  name: 'integrity.role_rule.delete',
  permission: 'checks.run',
  input: z.object({ id }),
  target: (input) => String(input.id),
  async run(ctx, input) {
    if (!(await deleteRoleRule(ctx.stateDb, input.id, (await targetIdentity(integrityTargetDb())).key))) throw new ActionError('not_found', `There is no role rule #${input.id}.`)
    revalidatePath('/integrity')
    return { message: 'Role rule removed.' }
  },
})
