'use server'

import path from 'node:path'
import { sql } from 'kysely'
import { revalidatePath } from 'next/cache'
import { z } from 'zod'
import { action } from '@/lib/auth/action'
import { ActionError } from '@/lib/auth/action-result'
import { can } from '@/lib/auth/permissions'
import { loadConfig } from '@/lib/config'
import { describeDbError, isDbError, withoutRowValues } from '@/lib/db/db-errors'
import { redactUrls } from '@/lib/redact-urls'
import { targetIdentity } from '@/lib/db/target-identity'
import { validateConstraint } from '@/lib/integrity/check-constraints'
import { deleteCustomRule, RULE_LIMITS, RuleQueryError, saveCustomRule } from '@/lib/integrity/custom-rules'
import { deleteEnumSet, saveEnumSet } from '@/lib/integrity/enum-sets'
import { deleteRoleRule, saveRoleRule } from '@/lib/integrity/role-rules'
import { planFix } from '@/lib/integrity/fix-orphans'
import { getFixJob } from '@/lib/integrity/fix-store'
import { findCheckedRelation } from '@/lib/integrity/orphan-csv'
import { decideAllSuggestions, deleteSoftRelation, saveSoftRelation } from '@/lib/integrity/relations'
import { getIntegrityRun } from '@/lib/integrity/run-store'
import { integrityTargetDb, integrityWriterDb, ruleReader } from '@/lib/db/server-dbs'
import { serverJobs } from '@/lib/jobs/server-jobs'
import { ReaderError } from '@/lib/db/restricted-reader'
import { describeRelation } from '@/lib/integrity/types'

// Only action()-built functions are exported from this file: a unit test runs each as every role.

const name = z.string().trim().min(1, { message: 'is required' }).max(200, { message: 'must be at most 200 characters' })
const id = z.coerce.number({ message: 'must be a number' }).int({ message: 'must be a whole number' }).positive({ message: 'must be positive' })

/** A list as a form sends it ("a, b") or as code does (['a', 'b']). */
function commaList(list: string, one: string, max: number) {
  return z.preprocess(
    (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v),
    z
      .array(name, { message: `give ${list}, separated by commas` })
      .min(1, { message: `give at least one ${one}` })
      .max(max, { message: `at most ${max} ${one}s` }),
  )
}

const columnList = commaList('column names', 'column', 32)

const emptyAsMissing = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v)

const RelationInput = z.object({
  schema: name,
  table: name,
  columns: columnList,
  refSchema: name,
  refTable: name,
  refColumns: columnList,
})

const SoftRelationInput = RelationInput.extend({
  status: z.enum(['accepted', 'dismissed'], { message: "must be 'accepted' or 'dismissed'" }),
  origin: z.enum(['manual', 'suggestion'], { message: "must be 'manual' or 'suggestion'" }),
  note: z.preprocess(emptyAsMissing, z.string().trim().max(500, { message: 'must be at most 500 characters' }).optional()),
})

const FixInput = RelationInput.extend({
  mode: z.enum(['delete', 'set_null'], { message: "must be 'delete' or 'set_null'" }),
  confirm: z.string({ message: 'type the confirmation text' }).trim().min(1, { message: 'type the confirmation text' }),
})

export const runChecksAction = action({
  name: 'integrity.run',
  permission: 'checks.run',
  input: z.object({}),
  async run(ctx) {
    const job = await startJob(async () => (await serverJobs()).enqueue('integrity.run', {}, { startedBy: ctx.user.email, trigger: 'manual' }))
    const runId = job.refId!
    revalidatePath('/integrity')
    return { message: `Started integrity run #${runId}.`, data: { runId, jobId: job.id }, target: `run #${runId}` }
  },
})

export const cancelRunAction = action({
  name: 'integrity.cancel',
  permission: 'checks.run',
  input: z.object({ runId: id }),
  target: (input) => `run #${input.runId}`,
  async run(ctx, input) {
    const run = await getIntegrityRun(ctx.stateDb, input.runId)
    const here = (await targetIdentity(integrityTargetDb())).key
    const cancelled = run?.jobId && run.targetKey === here ? await (await serverJobs()).cancel(run.jobId) : null
    if (!cancelled?.ok) throw new ActionError('conflict', `Run #${input.runId} is not running.`)
    revalidatePath('/integrity')
    return { message: `Run #${input.runId} stops after its current check.` }
  },
})

export const saveSoftRelationAction = action({
  name: 'integrity.soft_relation.save',
  permission: 'checks.run',
  input: SoftRelationInput,
  target: (input) => describeRelation(input),
  async run(ctx, input) {
    await saveSoftRelation(integrityTargetDb(), ctx.stateDb, { ...input, by: ctx.user.email })
    revalidatePath('/integrity')
    const what = describeRelation(input)
    return {
      message:
        input.status === 'accepted'
          ? `Saved ${what}: the next run checks it for orphans.`
          : `Dismissed ${what}: it is no longer suggested.`,
    }
  },
})

/** Accepts or dismisses every open suggestion in one go. */
export const decideAllSuggestionsAction = action({
  name: 'integrity.suggestions.decide_all',
  permission: 'checks.run',
  input: z.object({ status: z.enum(['accepted', 'dismissed'], { message: "must be 'accepted' or 'dismissed'" }) }),
  target: (input) => `all suggestions ${input.status}`,
  async run(ctx, input) {
    const n = await decideAllSuggestions(integrityTargetDb(), ctx.stateDb, { status: input.status, by: ctx.user.email })
    if (n === 0) throw new ActionError('conflict', 'There are no open suggestions.')
    revalidatePath('/integrity')
    const what = `${n} suggestion${n === 1 ? '' : 's'}`
    return {
      message: input.status === 'accepted' ? `Accepted ${what}: the next run checks them as soft relations.` : `Dismissed ${what}: they are no longer suggested or checked.`,
      data: { count: n },
    }
  },
})

export const deleteSoftRelationAction = action({
  name: 'integrity.soft_relation.delete',
  permission: 'checks.run',
  input: z.object({ id }),
  target: (input) => `soft relation #${input.id}`,
  async run(ctx, input) {
    if (!(await deleteSoftRelation(ctx.stateDb, input.id))) {
      throw new ActionError('not_found', `There is no soft relation #${input.id}.`)
    }
    revalidatePath('/integrity')
    return { message: `Removed soft relation #${input.id}.` }
  },
})

export const validateConstraintAction = action({
  name: 'integrity.validate_constraint',
  permission: 'maintenance.run',
  input: z.object({ schema: name, table: name, name }),
  target: (input) => `${input.schema}.${input.table} ${input.name}`,
  async run(ctx, input) {
    const db = integrityWriterDb()
    // Re-read the catalog: the page may be older than the constraint's current state.
    const { rows } = await sql<{ validated: boolean; kind: string }>`
      select con.convalidated as validated, con.contype as kind
      from pg_constraint con join pg_class c on c.oid = con.conrelid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${input.schema} and c.relname = ${input.table} and con.conname = ${input.name} and con.contype in ('f', 'c')
    `.execute(db)
    const what = `${input.name} on ${input.schema}.${input.table}`
    if (!rows[0]) throw new ActionError('not_found', `There is no foreign key or CHECK constraint ${what}.`)
    if (rows[0].validated) throw new ActionError('conflict', `${what} is already valid.`)
    try {
      await validateConstraint(db, input.schema, input.table, input.name)
    } catch (e) {
      if (!isDbError(e)) throw e
      // PostgreSQL's own words: which row violates it, or why it could not finish.
      // Operators may validate but not see masked data: the violating key is left out for them.
      const message = can(ctx.user.role, 'data.reveal') ? postgresMessage(e) : withoutRowValues(postgresMessage(e))
      throw new ActionError('validation_failed', `${what} could not be validated: ${message}`)
    }
    revalidatePath('/integrity')
    return { message: `Validated ${what}. Run the checks again to update the results.` }
  },
})

/** PostgreSQL's message and detail (e.g. the violating key), never a connection string. */
function postgresMessage(e: { code: string; message: string; detail?: string }): string {
  if (e.code === '57014') return describeDbError(e)
  const text = e.detail ? `${e.message} (${e.detail})` : e.message
  return redactUrls(text).slice(0, 500)
}

function fileSafe(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]/g, '_')
}

function fixFile(schema: string, table: string): string {
  const stamp = new Date().toISOString().replace(/[-:.]/g, '')
  return path.join(loadConfig().dataPath, 'backups', `integrity-fix-${fileSafe(schema)}.${fileSafe(table)}-${stamp}.jsonl`)
}

/** What the user must type to confirm a fix of `count` rows. */
function confirmationText(mode: 'delete' | 'set_null', count: number): string {
  return `${mode === 'delete' ? 'DELETE' : 'SET NULL'} ${count}`
}

/**
 * Starts the fix of a checked relation's orphans in the background: every affected row is saved to
 * a file under the backup directory, then deleted or its reference set to NULL in batches. The page
 * follows the job, which can be cancelled between batches and restored. Admins only ('data.fix').
 */
export const fixOrphansAction = action({
  name: 'integrity.fix_orphans',
  permission: 'data.fix',
  input: FixInput,
  target: (input) => describeRelation(input),
  async run(ctx, input) {
    const db = integrityWriterDb()
    const rel = await findCheckedRelation(db, ctx.stateDb, input)
    if (!rel) throw new ActionError('not_found', `${describeRelation(input)} is not a relation the integrity checks know.`)
    const plan = await planFix(db, rel)
    if (plan.count === 0) throw new ActionError('conflict', `${describeRelation(rel)} has no orphans left to fix.`)
    const expected = confirmationText(input.mode, plan.count)
    if (input.confirm !== expected) {
      throw new ActionError('invalid_input', `Type ${expected} to confirm (there are ${plan.count} orphan rows now).`)
    }
    // The same refusals the job would meet, given now rather than as a failed job.
    if (plan.keyColumns.length === 0) {
      throw new ActionError('invalid_input', `${rel.schema}.${rel.table} has no primary key: rows cannot be fixed and restored safely. Add one first.`)
    }
    if (input.mode === 'set_null' && !plan.canSetNull) {
      throw new ActionError('invalid_input', `${rel.columns.join(', ')} ${rel.columns.length === 1 ? 'does' : 'do'} not allow NULL: only deleting is possible.`)
    }
    const file = fixFile(rel.schema, rel.table)
    const job = await startJob(async () =>
      (await serverJobs()).enqueue('integrity.fix', { relation: rel, mode: input.mode, file, total: plan.count }, { startedBy: ctx.user.email, trigger: 'manual' }),
    )
    const fixId = job.refId!
    revalidatePath('/integrity')
    const rows = `${plan.count} row${plan.count === 1 ? '' : 's'}`
    const what =
      input.mode === 'delete'
        ? `delete ${rows} of ${rel.schema}.${rel.table}`
        : `set ${rel.columns.join(', ')} to NULL in ${rows} of ${rel.schema}.${rel.table}`
    return {
      message: `Started fix #${fixId} to ${what}; every row is saved to ${file} first.`,
      data: { fixId, file, jobId: job.id },
    }
  },
})

/** Queues a job; a database error on the way (not a refusal, which is an AppError) becomes `unavailable`. */
async function startJob<T>(start: () => Promise<T>): Promise<T> {
  try {
    return await start()
  } catch (e) {
    if (isDbError(e)) {
      console.error('[dbadmin] job start error:', e)
      throw new ActionError('unavailable', `The job could not start: ${postgresMessage(e)}`)
    }
    throw e
  }
}

export const cancelFixAction = action({
  name: 'integrity.fix.cancel',
  permission: 'data.fix',
  input: z.object({ fixId: id }),
  target: (input) => `fix job #${input.fixId}`,
  async run(ctx, input) {
    const fix = await getFixJob(ctx.stateDb, input.fixId)
    const here = (await targetIdentity(integrityTargetDb())).key
    const cancelled = fix?.jobId && fix.targetKey === here ? await (await serverJobs()).cancel(fix.jobId) : null
    if (!cancelled?.ok) throw new ActionError('conflict', `Job #${input.fixId} is not running.`)
    revalidatePath('/integrity')
    return { message: `Job #${input.fixId} stops after its current batch; the batches done so far stay done.` }
  },
})

/** Puts back what a fix changed, from the rows it saved before changing them. Admins only. */
export const restoreFixAction = action({
  name: 'integrity.fix.restore',
  permission: 'data.fix',
  input: z.object({ fixId: id }),
  target: (input) => `fix job #${input.fixId}`,
  async run(ctx, input) {
    const fix = await getFixJob(ctx.stateDb, input.fixId)
    if (!fix) throw new ActionError('invalid_input', `There is no fix #${input.fixId}.`)
    const job = await startJob(async () =>
      (await serverJobs()).enqueue('integrity.restore', { fixId: input.fixId, relation: fix.relation }, { startedBy: ctx.user.email, trigger: 'manual' }),
    )
    const restoreId = job.refId!
    revalidatePath('/integrity')
    return { message: `Started restore #${restoreId} of fix #${input.fixId}.`, data: { restoreId, jobId: job.id } }
  },
})

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
    try {
      const { rule, count } = await saveCustomRule(
        ruleReader(),
        ctx.stateDb,
        { ...input, by: ctx.user.email, targetKey: (await targetIdentity(integrityTargetDb())).key },
        loadConfig().INTEGRITY_CHECK_TIMEOUT_MS,
      )
      revalidatePath('/integrity')
      return { message: `Rule "${rule.name}" saved; it finds ${count} row${count === 1 ? '' : 's'} now.`, target: rule.name }
    } catch (e) {
      if (e instanceof RuleQueryError) throw new ActionError('invalid_input', `The query does not run: ${e.message}`, { query: e.message })
      if (e instanceof ReaderError) throw new ActionError(e.kind === 'timeout' ? 'invalid_input' : 'unavailable', e.message)
      throw e
    }
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
    if (!(await deleteEnumSet(ctx.stateDb, input.id))) throw new ActionError('not_found', `There is no value set #${input.id}.`)
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
    if (!(await deleteRoleRule(ctx.stateDb, input.id))) throw new ActionError('not_found', `There is no role rule #${input.id}.`)
    revalidatePath('/integrity')
    return { message: 'Role rule removed.' }
  },
})
