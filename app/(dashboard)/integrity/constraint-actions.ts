'use server'

import { sql } from 'kysely'
import { revalidatePath } from 'next/cache'
import { z } from 'zod'
import { action } from '@/lib/auth/action'
import { ActionError } from '@/lib/auth/action-result'
import { can } from '@/lib/auth/permissions'
import { isDbError, withoutRowValues } from '@/lib/db/db-errors'
import { validateConstraint } from '@/lib/integrity/check-constraints'
import { integrityWriterDb } from '@/lib/db/server-dbs'
import { name } from './inputs'
import { postgresMessage } from './job-start'

// Only action()-built functions are exported from this file: a unit test runs each as every role.

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
